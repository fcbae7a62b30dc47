# Malformed: unknown socket option. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
setsockopt(a, SO_REUSEADDRESS, 1) = 0
