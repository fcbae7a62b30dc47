# A TIME-WAIT recycled by a bound connect() passes its peer-timestamp stamp on: the next
# connection, made with net.ipv4.tcp_timestamps=0, leaves a TIME-WAIT that a bound connect()
# recycles again (tcp_twsk_unique copies ts_recent_stamp; tcp_time_wait keeps it). Found by the
# differential soak, seed 11755164111224413508; agrees on 6.18.44-fc-v669.
host local 127.0.0.1 dev v0
sysctl net.ipv4.ip_local_port_range=40000 40001
s0 = socket(inet, stream)
setsockopt(s0, SO_REUSEADDR, 1)
bind(s0, 0.0.0.0:7000)
listen(s0)
s1 = socket(inet, stream)
setsockopt(s1, SO_REUSEADDR, 1)
bind(s1, 127.0.0.1:7001)
connect(s1, 127.0.0.1:7000)
a2 = accept(s0)
close(s1)
close(a2)
close(s0)
sysctl net.ipv4.tcp_timestamps=0
s5 = socket(inet, stream)
setsockopt(s5, SO_REUSEADDR, 1)
bind(s5, 0.0.0.0:7000)
listen(s5)
s6 = socket(inet, stream)
setsockopt(s6, SO_REUSEADDR, 1)
bind(s6, 127.0.0.1:7001)
connect(s6, 127.0.0.1:7000)
a7 = accept(s5)
close(s6)
close(a7)
s16 = socket(inet, stream)
setsockopt(s16, SO_REUSEADDR, 1)
bind(s16, 127.0.0.1:7001)
connect(s16, 127.0.0.1:7000)
