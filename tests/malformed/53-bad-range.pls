# Malformed: bad range. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
P = port(a)
expect P in 5000-6000
