# Malformed: single equals in compare. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
P = port(a)
expect P = 5000
