# bind() of ::1 by an IPv6 socket bound to another device
# Replay: portlab conform FILE (issue #6; all steps agreed with 6.18.44-fc-v669).
host local 127.0.0.1 dev v0
a = socket(inet6, stream)
setsockopt(a, SO_BINDTODEVICE, v0)
bind(a, [::1]:7001)
b = socket(inet6, stream)
setsockopt(b, SO_BINDTODEVICE, lo)
bind(b, [::1]:7001)
c = socket(inet, stream)
setsockopt(c, SO_BINDTODEVICE, v0)
bind(c, 127.0.0.1:7002)
d = socket(inet6, stream)
setsockopt(d, SO_BINDTODEVICE, v0)
bind(d, [::ffff:127.0.0.1]:7003)
