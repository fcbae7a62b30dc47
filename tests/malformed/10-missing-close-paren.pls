# Malformed: missing close paren. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
listen(a, 16 = 0
