# The seed case (ICE-TCP): reconnect from a fixed local port to the same remote endpoint right
# after a graceful close in which we closed first, so our side holds TIME-WAIT on the 4-tuple.
# Per OS (semantics.md §7.3 row "we did"; the redial after expiry is in ice-tcp-redial-per-os.pls):
# * Linux: the bound connect() recycles the TIME-WAIT at once because the old connection
#   negotiated TCP timestamps (tcp_twsk_unique with twp == NULL; §2.7, §7.3), whatever
#   net.ipv4.tcp_tw_reuse says.
# * FreeBSD: the SO_REUSEADDR bind succeeds (the EXACT lookup does not see the TIME-WAIT, §3.1),
#   but connect() fails with EADDRINUSE while the TIME-WAIT lives (no TIME-WAIT recycling on the
#   active side, §3.2): 2 x net.inet.tcp.msl = 60 s (§3.4). Timestamps change nothing.
# * macOS: the same as FreeBSD (§4.1, §4.2), for 30 s (§4.3).
# * Windows: connect() fails with WSAEADDRINUSE (event 4227) until TcpTimedWaitDelay (120 s) has
#   passed (§5.2). Whether the bind itself may overlap the TIME-WAIT is not documented; the profile
#   assumes it may (windows.bind.ignores-connections, ASSUMED).
# * illumos: the SO_REUSEADDR bind succeeds (a TIME-WAIT never conflicts with it, §6); connect()
#   over a TIME-WAIT was not read (§1 "not established", §10): the profile assumes EADDRINUSE as on
#   the BSDs (illumos.connect.bound.tuple-in-use, ASSUMED), for 60 s.
# So only Linux (with timestamps) reconnects at once; elsewhere plan for a TIME-WAIT-long outage or
# close abortively (fixed-port-reconnect-linger0.pls).
host client 10.0.0.1
host server 10.0.0.2
# Timestamps on for the client on every OS (only Linux's connect() depends on them).
sysctl client net.ipv4.tcp_timestamps=1 @linux
sysctl client net.inet.tcp.rfc1323=1 @freebsd,macos
sysctl client Tcpip.Parameters.Tcp1323Opts=3 @windows
sysctl client tcp_tstamp_if_wscale=1 @illumos
sysctl client net.ipv4.tcp_tw_reuse=0 @linux
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
# windows: assumed, see windows.bind.ignores-connections (§5.1: not established).
client: bind(c2, 10.0.0.1:5000) = 0
# freebsd §3.2, macos §4.2, windows §5.2 (event 4227);
# illumos: assumed, see illumos.connect.bound.tuple-in-use (§1: not established).
client: connect(c2, 10.0.0.2:80) = 0 @linux = -1 EADDRINUSE @freebsd,macos,illumos = -1 WSAEADDRINUSE @windows
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == ESTABLISHED @linux
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == TIME_WAIT @freebsd,macos,windows,illumos
expect client: count TIME_WAIT == 0 @linux
expect client: count TIME_WAIT == 1 @freebsd,macos,windows,illumos
