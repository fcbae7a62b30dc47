# Malformed: bad ipv4 address. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
bind(a, 127.0.0.256:80) = 0
