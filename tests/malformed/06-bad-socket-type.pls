# Malformed: bad socket type. The first error is below; see the .expected sidecar.
a = socket(inet, dgram)
