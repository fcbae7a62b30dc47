# Malformed: host without address. The first error is below; see the .expected sidecar.
host client
