# Malformed: bad uid. The first error is below; see the .expected sidecar.
a = socket(inet, stream, uid=-1)
