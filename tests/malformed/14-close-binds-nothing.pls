# Malformed: close binds nothing. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
r = close(a)
