# Malformed: ipv6 without brackets. The first error is below; see the .expected sidecar.
a = socket(inet6, stream)
bind(a, ::1:80) = 0
