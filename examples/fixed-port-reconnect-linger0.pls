# The seed case's workaround: close the old connection abortively (SO_LINGER {1, 0}, no
# shutdown() first), then reconnect from the same fixed local port to the same remote endpoint.
# Per OS (semantics.md §1 "linger{1,0} close", §7.3 row "linger{1,0} used on #1"): the abortive
# close sends an RST and leaves no TIME-WAIT on either side, so the fixed port can be re-bound
# without SO_REUSEADDR and the reconnect succeeds at once, with or without TCP timestamps.
# * Linux: as described below (§2.12 step 5).
# * FreeBSD: tcp_disconnect -> tcp_drop, RST, no TIME-WAIT (§3.5).
# * macOS: tcp_disconnect -> tcp_drop, RST, no TIME-WAIT (§4.4).
# * Windows: "hard/abortive close", circuit reset (§5.3). The peer's recv() fails WSAECONNRESET
#   (§5.3).
# * illumos: close/linger was not read (§1, §6); the profile assumes an RST as elsewhere
#   (illumos.close.linger0-rst, ASSUMED).
# The price everywhere: unsent data is lost and the peer sees a reset instead of EOF.
# Linux: close() -> inet_release -> __tcp_close; with SO_LINGER on and l_linger == 0 it calls
# tcp_disconnect(), which sends an RST from ESTABLISHED and moves the socket straight to CLOSE: no
# FIN exchange, so no TIME-WAIT on either side (semantics.md §2.12 step 5, §7.3 row "linger{1,0}").
# The peer's pending recv() fails with ECONNRESET (tcp_reset). Nothing is left on the 4-tuple or
# in the bind table, so the new socket binds 10.0.0.1:5000 without SO_REUSEADDR and connects at
# once, even with TCP timestamps off (where the graceful path fails for 60 s; see
# fixed-port-reconnect-no-timestamps.pls).
host client 10.0.0.1
host server 10.0.0.2
# Timestamps off for the client on every OS.
sysctl client net.ipv4.tcp_timestamps=0 @linux
sysctl client net.inet.tcp.rfc1323=0 @freebsd,macos
sysctl client Tcpip.Parameters.Tcp1323Opts=1 @windows
sysctl client tcp_tstamp_if_wscale=0 @illumos
server: l = socket(inet, stream)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0
client: c = socket(inet, stream)
client: bind(c, 10.0.0.1:5000) = 0
client: connect(c, 10.0.0.2:80) = 0
server: a = accept(l)
client: setsockopt(c, SO_LINGER, {1, 0}) = 0
# illumos: assumed, see illumos.close.linger0-rst.
client: close(c) = 0
# RST: no TIME-WAIT anywhere, no connection left on either side.
expect client: count TIME_WAIT == 0
expect server: count TIME_WAIT == 0
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == none
expect server: state 10.0.0.2:80 -> 10.0.0.1:5000 == none
# windows: the peer's recv fails WSAECONNRESET (closesocket reference, semantics.md §5.3).
server: recv(a, 1) = -1 ECONNRESET @linux,freebsd,macos,illumos = -1 WSAECONNRESET @windows
server: close(a) = 0
# Immediate rebind of the fixed port (no SO_REUSEADDR needed) and reconnect: OK.
client: c2 = socket(inet, stream)
client: bind(c2, 10.0.0.1:5000) = 0
client: connect(c2, 10.0.0.2:80) = 0
server: a2 = accept(l)
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == ESTABLISHED
expect server: state 10.0.0.2:80 -> 10.0.0.1:5000 == ESTABLISHED
