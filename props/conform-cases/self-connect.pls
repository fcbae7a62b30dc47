# self-connect: simultaneous open with itself (IPv4, IPv6, wildcard-bound, blocking and not), send/recv to itself
# Replay: portlab conform FILE (issue #6; all steps agreed with 6.18.44-fc-v669).
host local 127.0.0.1
a = socket(inet, stream)
bind(a, 127.0.0.1:7005)
connect(a, 127.0.0.1:7005)
send(a, 10)
recv(a, 100)
b = socket(inet, stream, nonblock)
bind(b, 0.0.0.0:7006)
connect(b, 127.0.0.1:7006)
c = socket(inet6, stream)
bind(c, [::1]:7007)
connect(c, [::1]:7007)
close(a)
