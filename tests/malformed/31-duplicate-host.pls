# Malformed: duplicate host. The first error is below; see the .expected sidecar.
host client 10.0.0.1
host client 10.0.0.2
