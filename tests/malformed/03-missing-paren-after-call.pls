# Malformed: missing paren after call. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
close a
