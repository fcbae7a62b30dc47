# Malformed: carriage return mid line. The first error is below; see the .expected sidecar.
a = socket(inet, stream)close(a)
