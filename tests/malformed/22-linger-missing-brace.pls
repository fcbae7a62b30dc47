# Malformed: linger missing brace. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
setsockopt(a, SO_LINGER, {1, 0) = 0
