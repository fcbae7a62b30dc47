# Does shutdown(SHUT_WR) before a SO_LINGER {1, 0} close() defeat the abortive close? On Linux it
# depends on how far the connection got before close() (semantics.md §2.12, §8 "shutdown() before
# closesocket() defeats linger-0").
# Per OS, what a deployment should know:
# * Linux: (a) closing in FIN-WAIT-2 still resets, no TIME-WAIT; (b) once TIME-WAIT was reached
#   (the peer closed too) the linger-0 close does nothing and the TIME-WAIT stays: a fixed-port
#   reconnect then depends on TCP timestamps (OK with them, EADDRNOTAVAIL without). Details below.
# * FreeBSD: (a) tcp_disconnect -> tcp_drop: RST, no TIME-WAIT (§3.5); (b) tcp_usr_close skips
#   the disconnect of a TIME-WAIT PCB, so the TIME-WAIT stays (§3.5, inferred) and the reconnect
#   fails with EADDRINUSE whatever the timestamps (§3.2).
# * macOS: the same as FreeBSD (§4.4 tcp_disconnect; §8: linger-0 removes no TIME-WAIT that was
#   already reached), reconnect EADDRINUSE (§4.2).
# * Windows: NOT ESTABLISHED. semantics.md found no primary source on shutdown() before a
#   linger-0 closesocket() on current Windows (§5.3, §8, §10; KB176736 is NT 4.0, nonzero linger).
#   The steps whose result hinges on it are not checked under windows; the table still shows the
#   model's answer (it behaves like Linux, decided by windows.close.linger0-rst and
#   tcp.close.already-closed, neither marked ASSUMED).
# * illumos: close/linger was not read (§6, §10). (a) is the profile's assumption
#   (illumos.close.linger0-rst, ASSUMED); (b) is decided by the generic tcp.close.already-closed
#   rule, which semantics.md does not back, so (b) is not checked under illumos.
# The peer's recv()/send() results after the reset (EOF, then EPIPE) are Linux observations
# ([test], §2.12); semantics.md does not give them for the other OSes, so they are checked on
# Linux only.
# The listener is non-blocking so that accept() of a reconnect that failed returns EAGAIN instead
# of blocking forever; every other accept() finds its connection queued.
# Linux details:
# (a) shutdown(SHUT_WR) sends our FIN; the peer ACKs it but has not closed, so we sit in FIN-WAIT-2
#     with the fd open. close() with linger 0 -> __tcp_close -> tcp_disconnect(), which sends an RST
#     from FIN-WAIT-2 and goes to CLOSE: no TIME-WAIT (§2.12 step 5). The peer, in CLOSE-WAIT, first
#     reads EOF (our FIN arrived before the RST), then send() fails with EPIPE (tcp_reset sets EPIPE
#     in CLOSE-WAIT).
# (b) shutdown(SHUT_WR), then the peer closes too: our side goes FIN-WAIT-2 -> TIME-WAIT while the
#     fd is still open (the full socket is CLOSE, a TIME-WAIT minisock holds the 4-tuple). close()
#     with linger 0 then finds the socket already CLOSE and sends nothing (§2.12 step 3): the
#     TIME-WAIT remains, and a fixed-port reconnect is back to the graceful case, which depends on
#     TCP timestamps (tcp_twsk_unique, §2.7): OK with them, EADDRNOTAVAIL without.
host client 10.0.0.1
host legacy 10.0.0.3
host server 10.0.0.2
# `client` negotiates timestamps, `legacy` does not, on every OS.
sysctl client net.ipv4.tcp_timestamps=1 @linux
sysctl client net.inet.tcp.rfc1323=1 @freebsd,macos
sysctl client Tcpip.Parameters.Tcp1323Opts=3 @windows
sysctl client tcp_tstamp_if_wscale=1 @illumos
sysctl legacy net.ipv4.tcp_timestamps=0 @linux
sysctl legacy net.inet.tcp.rfc1323=0 @freebsd,macos
sysctl legacy Tcpip.Parameters.Tcp1323Opts=1 @windows
sysctl legacy tcp_tstamp_if_wscale=0 @illumos
server: l = socket(inet, stream, nonblock)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0

# (a) close in FIN-WAIT-2 (peer still open): RST, no TIME-WAIT.
client: c = socket(inet, stream)
client: setsockopt(c, SO_REUSEADDR, 1) = 0
client: bind(c, 10.0.0.1:5000) = 0
client: connect(c, 10.0.0.2:80) = 0
server: a = accept(l)
client: setsockopt(c, SO_LINGER, {1, 0}) = 0
client: shutdown(c, SHUT_WR) = 0
expect client: state c == FIN_WAIT2
expect server: state a == CLOSE_WAIT
# illumos: assumed, see illumos.close.linger0-rst. windows: not established (§5.3, §10).
client: close(c) = 0
expect client: count TIME_WAIT == 0 @linux,freebsd,macos,illumos
expect server: count TIME_WAIT == 0 @linux,freebsd,macos,illumos
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == none @linux,freebsd,macos,illumos
server: recv(a, 1) = 0 @linux
server: send(a, 1) = -1 EPIPE @linux
server: close(a) = 0
client: c2 = socket(inet, stream)
client: setsockopt(c2, SO_REUSEADDR, 1) = 0
client: bind(c2, 10.0.0.1:5000) = 0
client: connect(c2, 10.0.0.2:80) = 0 @linux,freebsd,macos,illumos
server: a2 = accept(l)
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == ESTABLISHED @linux,freebsd,macos,illumos

# (b) the peer closes too before our close(): TIME-WAIT is already reached and stays.
client: d = socket(inet, stream)
client: setsockopt(d, SO_REUSEADDR, 1) = 0
client: bind(d, 10.0.0.1:5001) = 0
client: connect(d, 10.0.0.2:80) = 0
server: b = accept(l)
client: shutdown(d, SHUT_WR) = 0
server: recv(b, 1) = 0
server: close(b) = 0
expect client: state 10.0.0.1:5001 -> 10.0.0.2:80 == TIME_WAIT
client: setsockopt(d, SO_LINGER, {1, 0}) = 0
client: close(d) = 0
# freebsd: §3.5 (tcp_usr_close skips a TIME-WAIT PCB); macos: §8 (linger-0 resets only
# connections not yet in TIME-WAIT). windows, illumos: not established (§5.3, §6, §10).
expect client: state 10.0.0.1:5001 -> 10.0.0.2:80 == TIME_WAIT @linux,freebsd,macos
# Timestamps were negotiated: on Linux the bound reconnect recycles the TIME-WAIT at once. The
# BSDs never recycle it on the active side: EADDRINUSE (§3.2, §4.2).
client: d2 = socket(inet, stream)
client: setsockopt(d2, SO_REUSEADDR, 1) = 0
client: bind(d2, 10.0.0.1:5001) = 0
client: connect(d2, 10.0.0.2:80) = 0 @linux = -1 EADDRINUSE @freebsd,macos
server: b2 = accept(l) = -1 EAGAIN @freebsd,macos
expect client: state 10.0.0.1:5001 -> 10.0.0.2:80 == ESTABLISHED @linux
expect client: state 10.0.0.1:5001 -> 10.0.0.2:80 == TIME_WAIT @freebsd,macos

# (b) again from a client with timestamps off: the TIME-WAIT stays and blocks the 4-tuple
# (Linux EADDRNOTAVAIL, §2.7; BSDs EADDRINUSE, §3.2, §4.2).
legacy: e = socket(inet, stream)
legacy: setsockopt(e, SO_REUSEADDR, 1) = 0
legacy: bind(e, 10.0.0.3:5001) = 0
legacy: connect(e, 10.0.0.2:80) = 0
server: f = accept(l)
legacy: shutdown(e, SHUT_WR) = 0
server: recv(f, 1) = 0
server: close(f) = 0
expect legacy: state 10.0.0.3:5001 -> 10.0.0.2:80 == TIME_WAIT
legacy: setsockopt(e, SO_LINGER, {1, 0}) = 0
legacy: close(e) = 0
expect legacy: state 10.0.0.3:5001 -> 10.0.0.2:80 == TIME_WAIT @linux,freebsd,macos
legacy: e2 = socket(inet, stream)
legacy: setsockopt(e2, SO_REUSEADDR, 1) = 0
legacy: bind(e2, 10.0.0.3:5001) = 0
legacy: connect(e2, 10.0.0.2:80) = -1 EADDRNOTAVAIL @linux = -1 EADDRINUSE @freebsd,macos
expect legacy: count TIME_WAIT == 1 @linux,freebsd,macos
