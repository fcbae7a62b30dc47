# Malformed: bad port range option. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
setsockopt(a, IP_LOCAL_PORT_RANGE, 5) = 0
