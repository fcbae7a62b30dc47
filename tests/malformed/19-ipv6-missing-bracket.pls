# Malformed: ipv6 missing bracket. The first error is below; see the .expected sidecar.
a = socket(inet6, stream)
bind(a, [::1:80) = 0
