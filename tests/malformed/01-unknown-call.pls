# Malformed: unknown call. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
bnd(a, 127.0.0.1:7000) = 0
