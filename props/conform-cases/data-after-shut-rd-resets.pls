# Linux resets a connection in FIN-WAIT-1/2 that was shut down for reading when new data arrives,
# though the socket is still open (tcp_rcv_state_process: sk_shutdown & RCV_SHUTDOWN, "RFC 1122
# says we MUST send a reset"). Found by the differential soak, seed 7841629526941001492; agrees
# on 6.18.44-fc-v669.
host local 127.0.0.1 dev v0
s1 = socket(inet, stream)
setsockopt(s1, SO_REUSEADDR, 1)
bind(s1, 0.0.0.0:7000)
listen(s1)
s2 = socket(inet, stream)
bind(s2, 127.0.0.1:7001)
connect(s2, 127.0.0.1:7000)
a3 = accept(s1)
shutdown(s2, SHUT_RDWR)
send(a3, 1)
recv(s2, 10)
recv(s2, 10)
send(a3, 1)
send(a3, 1)
close(s2)
# SHUT_RD alone (still ESTABLISHED): the data is taken in, no reset.
s4 = socket(inet, stream)
bind(s4, 127.0.0.1:7002)
connect(s4, 127.0.0.1:7000)
a5 = accept(s1)
shutdown(s4, SHUT_RD)
send(a5, 1)
recv(s4, 10)
