# Malformed: bad family. The first error is below; see the .expected sidecar.
a = socket(unix, stream)
