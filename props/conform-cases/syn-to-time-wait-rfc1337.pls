# the same with tcp_rfc1337=1: the TIME-WAIT survives, the socket stays SYN-SENT
# Replay: portlab conform FILE (issue #6; all steps agreed with 6.18.44-fc-v669).
host local 127.0.0.1
sysctl net.ipv4.tcp_rfc1337=1
l = socket(inet, stream)
bind(l, 127.0.0.1:7000)
listen(l)
c = socket(inet, stream)
setsockopt(c, SO_REUSEADDR, 1)
bind(c, 127.0.0.1:7001)
connect(c, 127.0.0.1:7000)
a = accept(l)
close(a)
close(c)
close(l)
c2 = socket(inet, stream, nonblock)
setsockopt(c2, SO_REUSEADDR, 1)
bind(c2, 127.0.0.1:7001)
connect(c2, 127.0.0.1:7000)
wait 100ms
