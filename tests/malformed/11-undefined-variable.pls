# Malformed: undefined variable. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
bind(b, 127.0.0.1:7000) = 0
