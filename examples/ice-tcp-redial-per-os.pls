# ICE-TCP: redialling from a fixed local port to the same remote endpoint, per OS — the table
# of semantics.md §7.3. RFC 6544 active candidates use a fixed port, so after connection #1 ends
# the application wants connection #2 from the same L:P to the same R:Q at once. Each row of the
# table uses its own local port and its own server port, so the rows do not disturb each other.
#
# Row "we closed first" (our side holds TIME-WAIT on the 4-tuple; local port 5001):
#   Linux (§2.7): bind OK (#1 had SO_REUSEADDR); the bound connect() recycles the TIME-WAIT at
#     once because #1 negotiated timestamps with this (Linux) peer.
#   FreeBSD (§3.2, §3.4): bind with SO_REUSEADDR OK (TIME-WAIT is invisible to the EXACT lookup);
#     connect() EADDRINUSE for the whole TIME-WAIT, 2 x msl = 60 s (the peer is remote, so
#     nolocaltimewait does not apply).
#   macOS (§4.2, §4.3): the same, for 30 s.
#   Windows (§5.2): connect() WSAEADDRINUSE (event 4227) until TcpTimedWaitDelay (120 s);
#     whether the bind itself may overlap a TIME-WAIT is not documented (assumed: yes).
#   illumos (§6, §10): connect() over a TIME-WAIT was not read; the profile assumes EADDRINUSE as
#     on the BSDs, for tcp_time_wait_interval = 60 s (ASSUMED in the report).
#   Successful redials are closed with SO_LINGER {1, 0} (RST, no new TIME-WAIT) so that the next
#   attempt meets only the original TIME-WAIT.
# Row "peer closed first" (the server holds TIME-WAIT; local port 5002): our side keeps no state,
#   bind + connect succeed at once everywhere; the peer's TIME-WAIT accepts the new SYN (Linux:
#   newer sequence or timestamp, §2.8; BSD: seq > rcv_nxt, §3.4, §4.3; Windows and illumos:
#   assumed RFC 1122 behaviour).
# Row "linger {1, 0} on #1" (local port 5003): RST, no TIME-WAIT anywhere, immediate reuse even
#   without SO_REUSEADDR (§1 table, §3.5, §4.4, §5.3).
os linux,freebsd,macos,windows,illumos
host client 10.0.0.1
host server 10.0.0.2
server: l1 = socket(inet, stream)
server: bind(l1, 0.0.0.0:7001) = 0
server: listen(l1, 16) = 0
server: l2 = socket(inet, stream)
server: bind(l2, 0.0.0.0:7002) = 0
server: listen(l2, 16) = 0
server: l3 = socket(inet, stream)
server: bind(l3, 0.0.0.0:7003) = 0
server: listen(l3, 16) = 0

# ---- we closed first ------------------------------------------------------------------------
client: c1 = socket(inet, stream)
client: setsockopt(c1, SO_REUSEADDR, 1) = 0
client: bind(c1, 10.0.0.1:5001) = 0
client: connect(c1, 10.0.0.2:7001) = 0
server: a1 = accept(l1)
client: close(c1) = 0
server: close(a1) = 0
expect client: state 10.0.0.1:5001 -> 10.0.0.2:7001 == TIME_WAIT

# At once.
client: r1 = socket(inet, stream)
client: setsockopt(r1, SO_REUSEADDR, 1) = 0
client: bind(r1, 10.0.0.1:5001) = 0
client: connect(r1, 10.0.0.2:7001) = -1 EADDRINUSE @freebsd,macos,illumos = -1 WSAEADDRINUSE @windows,windows-xp = 0
client: setsockopt(r1, SO_LINGER, {1, 0}) = 0
client: close(r1) = 0

# 30 s later: macOS's TIME-WAIT is over.
wait 30s
client: r2 = socket(inet, stream)
client: setsockopt(r2, SO_REUSEADDR, 1) = 0
client: bind(r2, 10.0.0.1:5001) = 0
client: connect(r2, 10.0.0.2:7001) = -1 EADDRINUSE @freebsd,illumos = -1 WSAEADDRINUSE @windows,windows-xp = 0
client: setsockopt(r2, SO_LINGER, {1, 0}) = 0
client: close(r2) = 0

# 60 s later: FreeBSD's and illumos's too.
wait 30s
client: r3 = socket(inet, stream)
client: setsockopt(r3, SO_REUSEADDR, 1) = 0
client: bind(r3, 10.0.0.1:5001) = 0
client: connect(r3, 10.0.0.2:7001) = -1 WSAEADDRINUSE @windows,windows-xp = 0
client: setsockopt(r3, SO_LINGER, {1, 0}) = 0
client: close(r3) = 0

# 120 s later: Windows' too.
wait 60s
client: r4 = socket(inet, stream)
client: setsockopt(r4, SO_REUSEADDR, 1) = 0
client: bind(r4, 10.0.0.1:5001) = 0
client: connect(r4, 10.0.0.2:7001) = 0
expect client: state 10.0.0.1:5001 -> 10.0.0.2:7001 == ESTABLISHED

# ---- the peer closed first ------------------------------------------------------------------
client: c2 = socket(inet, stream)
client: bind(c2, 10.0.0.1:5002) = 0
client: connect(c2, 10.0.0.2:7002) = 0
server: a2 = accept(l2)
server: close(a2) = 0
client: recv(c2, 1) = 0
client: close(c2) = 0
expect server: state 10.0.0.2:7002 -> 10.0.0.1:5002 == TIME_WAIT
expect client: count TIME_WAIT port 5002 == 0
client: d2 = socket(inet, stream)
client: bind(d2, 10.0.0.1:5002) = 0
client: connect(d2, 10.0.0.2:7002) = 0
server: b2 = accept(l2)
expect server: state 10.0.0.2:7002 -> 10.0.0.1:5002 == ESTABLISHED

# ---- linger {1, 0} on #1 --------------------------------------------------------------------
client: c3 = socket(inet, stream)
client: bind(c3, 10.0.0.1:5003) = 0
client: connect(c3, 10.0.0.2:7003) = 0
server: a3 = accept(l3)
client: setsockopt(c3, SO_LINGER, {1, 0}) = 0
client: close(c3) = 0
server: recv(a3, 1) = -1 WSAECONNRESET @windows = -1 ECONNRESET
expect client: count TIME_WAIT port 5003 == 0
expect server: count TIME_WAIT port 7003 == 0
client: d3 = socket(inet, stream)
client: bind(d3, 10.0.0.1:5003) = 0
client: connect(d3, 10.0.0.2:7003) = 0
server: b3 = accept(l3)
