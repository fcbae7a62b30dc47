# The seed case (ICE-TCP): reconnect from a fixed local port to the same remote endpoint right
# after a graceful close in which we closed first, so our side holds TIME-WAIT on the 4-tuple.
# Linux: the bound connect() recycles the TIME-WAIT at once because the old connection
# negotiated TCP timestamps (tcp_twsk_unique with twp == NULL; semantics.md §2.7, §7.3),
# whatever net.ipv4.tcp_tw_reuse says.
host client 10.0.0.1
host server 10.0.0.2
sysctl client net.ipv4.tcp_timestamps=1
sysctl client net.ipv4.tcp_tw_reuse=0
server: l = socket(inet, stream)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0
client: c = socket(inet, stream)
client: setsockopt(c, SO_REUSEADDR, 1) = 0
client: bind(c, 10.0.0.1:5000) = 0
client: connect(c, 10.0.0.2:80) = 0
server: a = accept(l)
client: close(c) = 0
server: close(a) = 0
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == TIME_WAIT
wait 1s
client: c2 = socket(inet, stream)
client: setsockopt(c2, SO_REUSEADDR, 1) = 0
client: bind(c2, 10.0.0.1:5000) = 0
client: connect(c2, 10.0.0.2:80) = 0
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == ESTABLISHED
expect client: count TIME_WAIT == 0
