# Malformed: expect nothing. The first error is below; see the .expected sidecar.
expect
