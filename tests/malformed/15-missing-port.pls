# Malformed: missing port. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
bind(a, 127.0.0.1) = 0
