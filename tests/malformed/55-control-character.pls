# Malformed: control character. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
