# The ICE-TCP fixed-port reconnect when the PEER closed first (semantics.md §7.3 row "peer did").
# Per OS, what a deployment should know: when the peer closes first our side keeps no state on any
# OS, so the fixed port is free at once (no SO_REUSEADDR needed) and the reconnect works if the
# peer's TIME-WAIT accepts the new SYN. Here both hosts run the OS being checked, so the peer is
# that OS too:
# * Linux peer: accepts the SYN if its sequence number is after rcv_nxt or its timestamp is newer
#   (§2.8); with and without timestamps.
# * FreeBSD peer: accepts a SYN with seq > rcv_nxt, no timestamp test (tcp_twcheck, §3.4).
# * macOS peer: the same (§4.3).
# * Windows peer: not documented (§7.3 "peer behaviour not documented"); the profile assumes the
#   RFC 1122 4.2.2.13 behaviour (windows.time-wait.syn-accepted, ASSUMED). The non-blocking
#   connect()'s errno is not checked under windows: Winsock reports WSAEWOULDBLOCK there, the
#   model answers EINPROGRESS, and semantics.md does not cover it.
# * illumos peer: TIME-WAIT handling was not read (§6, §10); the profile assumes RFC 1122
#   (illumos.time-wait.syn-accepted, ASSUMED).
# The SYN's acceptance by the TIME-WAIT is not a step of its own: it shows in the states below.
# Linux details:
# The server closes first, so the server ends in TIME-WAIT (10.0.0.2:80 -> client:5000) and our
# side, the passive closer, goes CLOSE-WAIT -> LAST-ACK -> CLOSED and keeps no state at all
# (§2.11 "who enters TIME_WAIT"): the fixed port can be re-bound at once, SO_REUSEADDR or not.
# The new SYN reaches the server's TIME-WAIT for the same 4-tuple. Linux
# (tcp_minisocks.c:tcp_timewait_state_process, tcp_ipv4.c do_time_wait; §2.8) accepts it as a new
# incarnation (TCP_TW_SYN) when its sequence number is after rcv_nxt or its timestamp is newer
# than tw_ts_recent, hands it to the listener and deschedules the TIME-WAIT: the TIME-WAIT is
# replaced by the new connection. Observed with timestamps on and off [test]; here `client`
# negotiates timestamps and `legacy` does not.
# The reconnects use non-blocking sockets to show that the SYN is accepted by the TIME-WAIT at once
# (TCP_TW_SYN): portlab delivers segments without delay, so the handshake is complete as soon as
# connect() returns EINPROGRESS. A SYN the TIME-WAIT rejected would instead be answered with an
# ACK and reset by the client; on Linux that RST kills the TIME-WAIT (tcp_rfc1337=0) and the SYN
# is retransmitted 8 ms later (tcp_rcv_synsent_state_process), elsewhere after the initial RTO.
host server 10.0.0.2
host client 10.0.0.1
host legacy 10.0.0.3
sysctl client net.ipv4.tcp_timestamps=1 @linux
sysctl client net.inet.tcp.rfc1323=1 @freebsd,macos
sysctl client Tcpip.Parameters.Tcp1323Opts=3 @windows
sysctl client tcp_tstamp_if_wscale=1 @illumos
sysctl legacy net.ipv4.tcp_timestamps=0 @linux
sysctl legacy net.inet.tcp.rfc1323=0 @freebsd,macos
sysctl legacy Tcpip.Parameters.Tcp1323Opts=1 @windows
sysctl legacy tcp_tstamp_if_wscale=0 @illumos
server: l = socket(inet, stream)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0

# Timestamps on.
client: c = socket(inet, stream)
client: bind(c, 10.0.0.1:5000) = 0
client: connect(c, 10.0.0.2:80) = 0
server: a = accept(l)
server: close(a) = 0
client: recv(c, 1) = 0
client: close(c) = 0
expect server: state 10.0.0.2:80 -> 10.0.0.1:5000 == TIME_WAIT
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == none
expect client: count TIME_WAIT == 0
client: c2 = socket(inet, stream, nonblock)
client: bind(c2, 10.0.0.1:5000) = 0
client: connect(c2, 10.0.0.2:80) = -1 EINPROGRESS @linux,freebsd,macos,illumos
expect client: state c2 == ESTABLISHED
expect server: state 10.0.0.2:80 -> 10.0.0.1:5000 == ESTABLISHED
server: a2 = accept(l)
expect server: state a2 == ESTABLISHED

# Timestamps off: same result (the SYN's sequence number is after the TIME-WAIT's rcv_nxt).
legacy: e = socket(inet, stream)
legacy: bind(e, 10.0.0.3:5000) = 0
legacy: connect(e, 10.0.0.2:80) = 0
server: b = accept(l)
server: close(b) = 0
legacy: recv(e, 1) = 0
legacy: close(e) = 0
expect server: state 10.0.0.2:80 -> 10.0.0.3:5000 == TIME_WAIT
expect legacy: count TIME_WAIT == 0
legacy: e2 = socket(inet, stream, nonblock)
legacy: bind(e2, 10.0.0.3:5000) = 0
legacy: connect(e2, 10.0.0.2:80) = -1 EINPROGRESS @linux,freebsd,macos,illumos
expect legacy: state e2 == ESTABLISHED
expect server: state 10.0.0.2:80 -> 10.0.0.3:5000 == ESTABLISHED
server: b2 = accept(l)
expect server: state b2 == ESTABLISHED
expect server: count TIME_WAIT == 0
