# Malformed: host after step. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
host client 10.0.0.1
