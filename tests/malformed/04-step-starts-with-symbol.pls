# Malformed: step starts with symbol. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
= 0
