# Malformed: bad socket flag. The first error is below; see the .expected sidecar.
a = socket(inet, stream, blocking)
