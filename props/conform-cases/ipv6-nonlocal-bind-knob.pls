# An AF_INET6 bind() to a non-local IPv6 address follows net.ipv6.ip_nonlocal_bind
# (__inet6_bind: ipv6_can_nonlocal_bind), a v4-mapped one net.ipv4.ip_nonlocal_bind
# (inet_addr_valid_or_nonlocal); each knob alone allows only its own kind. Agrees on
# 6.18.44-fc-v669.
sysctl net.ipv4.ip_nonlocal_bind=1
a = socket(inet6, stream)
bind(a, [2001:db8::1]:7000) = -1 EADDRNOTAVAIL
b = socket(inet6, stream)
bind(b, [::ffff:198.51.100.1]:7000) = 0
sysctl net.ipv4.ip_nonlocal_bind=0
sysctl net.ipv6.ip_nonlocal_bind=1
c = socket(inet6, stream)
bind(c, [2001:db8::1]:7001) = 0
d = socket(inet6, stream)
bind(d, [::ffff:198.51.100.1]:7001) = -1 EADDRNOTAVAIL
