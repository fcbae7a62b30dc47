# Malformed: socket variable as integer. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
expect a == 5
