# Malformed: variable wrong type. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
P = port(a)
close(P) = 0
