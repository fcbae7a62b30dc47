# Malformed: bad linger value. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
setsockopt(a, SO_LINGER, {2, 0}) = 0
