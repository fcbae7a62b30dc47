# Malformed: integer not 64 bit. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
listen(a, 99999999999999999999) = 0
