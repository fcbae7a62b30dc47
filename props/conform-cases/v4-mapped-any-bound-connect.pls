# An AF_INET6 socket bound to [::ffff:0.0.0.0] has no source address yet: connect() to a
# v4-mapped destination picks one (tcp_v6_connect -> tcp_v4_connect: inet_saddr == 0), so the SYN
# leaves from 127.0.0.1 and is refused or accepted like any other. Found by the differential soak,
# seed 3671020358767953513; agrees on 6.18.44-fc-v669.
host local 127.0.0.1 dev v0
s4 = socket(inet6, stream, nonblock)
setsockopt(s4, SO_REUSEADDR, 1)
bind(s4, [::ffff:0.0.0.0]:7001)
connect(s4, [::ffff:127.0.0.1]:7000)
connect(s4, [::ffff:127.0.0.1]:7000)
l = socket(inet, stream)
bind(l, 127.0.0.1:7002)
listen(l)
s5 = socket(inet6, stream)
bind(s5, [::ffff:0.0.0.0]:7003)
connect(s5, [::ffff:127.0.0.1]:7002) = 0
getsockname(s5)
a = accept(l)
