# Malformed: missing host prefix. The first error is below; see the .expected sidecar.
host client 10.0.0.1
host server 10.0.0.2
c = socket(inet, stream)
