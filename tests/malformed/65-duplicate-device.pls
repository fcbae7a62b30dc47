# Malformed: duplicate device. The first error is below; see the .expected sidecar.
host client 10.0.0.1 dev eth0 eth0
