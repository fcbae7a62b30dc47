# shutdown() before listen(): children inherit the flags and send a FIN at once
# Replay: portlab conform FILE (issue #6; all steps agreed with 6.18.44-fc-v669).
host local 127.0.0.1 dev v0
sysctl net.ipv4.ip_local_port_range=40000 40001
s0 = socket(inet, stream)
setsockopt(s0, SO_REUSEPORT, 1)
bind(s0, 127.0.0.1:0)
connect(s0, 127.0.0.1:7000)
shutdown(s0, SHUT_RDWR)
bind(s0, 127.0.0.1:7000)
listen(s0)
s6 = socket(inet, stream, nonblock, uid=65534)
setsockopt(s6, SO_REUSEPORT, 1)
bind(s6, 0.0.0.0:7001)
connect(s6, 127.0.0.1:7000)
a = accept(s0)
recv(a, 10)
send(a, 1)
recv(s6, 10)
