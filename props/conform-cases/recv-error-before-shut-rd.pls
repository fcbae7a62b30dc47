# recv() reports the pending error before its own SHUT_RD
# Replay: portlab conform FILE (issue #6; all steps agreed with 6.18.44-fc-v669).
host local 127.0.0.1 dev v0
sysctl net.ipv4.ip_local_port_range=40000 40001
s0 = socket(inet, stream, nonblock)
setsockopt(s0, SO_REUSEADDR, 1)
bind(s0, 0.0.0.0:7001)
connect(s0, 127.0.0.1:7000)
shutdown(s0, SHUT_RD)
recv(s0, 1)
recv(s0, 1)
