# Malformed: host prefix on wait. The first error is below; see the .expected sidecar.
host client 10.0.0.1
host server 10.0.0.2
client: wait 1s
