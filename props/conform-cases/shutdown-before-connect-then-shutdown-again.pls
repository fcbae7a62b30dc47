# A shutdown() on a socket that is not connected fails (ENOTCONN) but leaves its flags; once the
# socket connects, shutdown(SHUT_WR) still sends a FIN: tcp_shutdown looks at the state, not at
# the old SEND_SHUTDOWN. Found by the differential test, seed 203; agrees on 6.18.44-fc-v669.
host local 127.0.0.1 dev v0
s0 = socket(inet, stream)
bind(s0, 127.0.0.1:7001)
connect(s0, 127.0.0.1:7000) = -1 ECONNREFUSED
shutdown(s0, SHUT_RDWR) = -1 ENOTCONN
l = socket(inet, stream)
bind(l, 127.0.0.1:7002)
listen(l)
connect(s0, 127.0.0.1:7002) = 0
shutdown(s0, SHUT_WR) = 0
