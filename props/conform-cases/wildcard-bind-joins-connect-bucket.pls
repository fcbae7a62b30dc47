# 6.18 keeps a port's bind state per address bucket (bhash2). s11 binds 0.0.0.0:0 (it shares
# s7's connect()-made port, ip_autobind_reuse) and connects: its source address is fixed and it
# moves into the address bucket s7's connect() made (inet_bhash2_update_saddr). Once s7 leaves,
# nothing holds the port by bind() any more and connect()'s autobind may use it again ("tcp:
# Update bind bucket state on port release"). Bound to 127.0.0.1:0 instead (second half), s11
# joins that bucket by bind() and the port stays closed to connect(). Found by the differential
# soak, seed 17403046728638870307; agrees on 6.18.44-fc-v669.
host local 127.0.0.1 dev v0
sysctl net.ipv4.ip_local_port_range=40000 40001
sysctl net.ipv4.ip_autobind_reuse=1
s0 = socket(inet, stream)
bind(s0, 127.0.0.1:0)
l1 = socket(inet, stream)
bind(l1, 0.0.0.0:7000)
listen(l1)
l2 = socket(inet, stream)
bind(l2, 0.0.0.0:7001)
listen(l2)
s7 = socket(inet, stream)
setsockopt(s7, SO_REUSEADDR, 1)
connect(s7, 127.0.0.1:7000)
s11 = socket(inet, stream)
setsockopt(s11, SO_REUSEADDR, 1)
bind(s11, 0.0.0.0:0)
connect(s11, 127.0.0.1:7001)
s3 = socket(inet, stream)
connect(s3, 127.0.0.1:7002) = -1 EADDRNOTAVAIL
setsockopt(s7, SO_LINGER, {1, 0})
close(s7)
s4 = socket(inet, stream)
connect(s4, 127.0.0.1:7002) = -1 ECONNREFUSED
close(s0)
close(s11)
close(l1)
close(l2)
close(s3)
close(s4)
# Second half: the same with bind(s11, 127.0.0.1:0).
t0 = socket(inet, stream)
bind(t0, 127.0.0.1:0)
m1 = socket(inet, stream)
bind(m1, 0.0.0.0:7000)
listen(m1)
m2 = socket(inet, stream)
bind(m2, 0.0.0.0:7001)
listen(m2)
t7 = socket(inet, stream)
setsockopt(t7, SO_REUSEADDR, 1)
connect(t7, 127.0.0.1:7000)
t11 = socket(inet, stream)
setsockopt(t11, SO_REUSEADDR, 1)
bind(t11, 127.0.0.1:0)
connect(t11, 127.0.0.1:7001)
t3 = socket(inet, stream)
connect(t3, 127.0.0.1:7002)
setsockopt(t7, SO_LINGER, {1, 0})
close(t7)
t4 = socket(inet, stream)
connect(t4, 127.0.0.1:7002) = -1 EADDRNOTAVAIL
