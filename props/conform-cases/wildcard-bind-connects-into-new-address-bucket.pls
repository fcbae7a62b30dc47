# Checks an assumption, not a fixed disagreement. A socket bound to a wildcard address that
# connects from an address no socket holds the port on yet (here s11 and c, bound to [::]:40000,
# connecting from ::1 while s7's connect()-made bucket is 127.0.0.1) moves into a new address
# bucket (inet_bhash2_update_saddr) and keeps holding the port by bind(): the port stays closed to
# connect() after s7 leaves and after s11, the first socket in the new bucket, leaves; it reopens
# only when c leaves too (then nothing holds it). The model's joins_connect_bucket leaves such a
# socket a bind() owner. Agrees on 6.18.44-fc-v669.
host local 127.0.0.1 dev v0
sysctl net.ipv4.ip_local_port_range=40000 40000
sysctl net.ipv4.ip_autobind_reuse=1
l1 = socket(inet, stream)
bind(l1, 0.0.0.0:7000)
listen(l1)
l2 = socket(inet6, stream)
bind(l2, [::]:7001)
listen(l2)
l3 = socket(inet6, stream)
bind(l3, [::]:7003)
listen(l3)
s7 = socket(inet, stream)
setsockopt(s7, SO_REUSEADDR, 1)
connect(s7, 127.0.0.1:7000)
s11 = socket(inet6, stream)
setsockopt(s11, SO_REUSEADDR, 1)
bind(s11, [::]:0)
getsockname(s11) = [::]:40000
connect(s11, [::1]:7001)
getsockname(s11) = [::1]:40000
c = socket(inet6, stream)
setsockopt(c, SO_REUSEADDR, 1)
bind(c, [::]:40000)
connect(c, [::1]:7003)
getsockname(c) = [::1]:40000
setsockopt(s7, SO_LINGER, {1, 0})
close(s7)
s4 = socket(inet, stream)
connect(s4, 127.0.0.1:7002) = -1 EADDRNOTAVAIL
setsockopt(s11, SO_LINGER, {1, 0})
close(s11)
s5 = socket(inet, stream)
connect(s5, 127.0.0.1:7002) = -1 EADDRNOTAVAIL
s6 = socket(inet6, stream)
connect(s6, [::1]:7002) = -1 EADDRNOTAVAIL
setsockopt(c, SO_LINGER, {1, 0})
close(c)
s8 = socket(inet, stream)
connect(s8, 127.0.0.1:7002) = -1 ECONNREFUSED
