# Malformed: setsockopt missing value. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
setsockopt(a, SO_REUSEADDR) = 0
