# Malformed: unterminated device string. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
setsockopt(a, SO_BINDTODEVICE, "eth0) = 0
