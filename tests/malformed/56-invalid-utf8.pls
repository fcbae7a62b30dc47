# Malformed: invalid utf8. The first error is below; see the .expected sidecar.
# café
a = socket(inet, stream)
