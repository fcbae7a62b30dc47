# syn-over-orphan-fin-wait-2-with-peer-in-close-wait: challenge ACK, RST, SYN re-sent to the listener
# Replay: portlab conform FILE (issue #6; all steps agreed with 6.18.44-fc-v669).
host local 127.0.0.1
l = socket(inet, stream)
bind(l, 127.0.0.1:7000)
listen(l)
c = socket(inet, stream)
setsockopt(c, SO_REUSEADDR, 1)
bind(c, 127.0.0.1:7001)
connect(c, 127.0.0.1:7000)
close(c)
c2 = socket(inet, stream)
setsockopt(c2, SO_REUSEADDR, 1)
bind(c2, 127.0.0.1:7001)
connect(c2, 127.0.0.1:7000)
a = accept(l)
b = accept(l)
