# A server restart over its own TIME-WAIT children. The server closes its accepted connections
# first, so each one ends in TIME-WAIT on the server (10.0.0.2:P -> client); then the listener is
# closed and a new listener binds 0.0.0.0:P.
# Per OS, what a deployment should know (semantics.md §1 "TIME_WAIT blocks bind() of same port",
# §8 "SO_REUSEADDR lets a server rebind while TIME_WAIT exists"):
# * Linux: the restart needs SO_REUSEADDR on the OLD listener and on the new one (only 1/1
#   succeeds); details below.
# * FreeBSD, macOS: only the NEW socket's option matters: with SO_REUSEADDR the EXACT lookup does
#   not see TIME-WAIT PCBs (0/1 and 1/1 succeed); without it the WILDCARD lookup finds them
#   (EADDRINUSE) (§3.1, §4.1). TIME-WAIT lasts 60 s on FreeBSD (§3.4; the client is another
#   host, so nolocaltimewait does not apply) and 30 s on macOS (§4.3).
# * illumos: the same as the BSDs: a TIME-WAIT blocks only a new socket without SO_REUSEADDR
#   (§6); TIME-WAIT lasts 60 s.
# * Windows: whether TIME-WAIT endpoints count as a first bind is not documented (§5.1); the
#   profile assumes they do not (windows.bind.ignores-connections, ASSUMED; KB307175 says a
#   re-bind while accepted connections remain succeeds since Windows 2000), so every restart
#   succeeds at once. TIME-WAIT lasts TcpTimedWaitDelay, 120 s in the profile (§5.2), so the
#   TIME-WAITs are still there after 61 s.
# So set SO_REUSEADDR on every listener, old and new: that is enough on every OS.
# Where a bind succeeded at once (BSDs, illumos: 0/1; Windows: all), the socket is already bound
# at the end, so the final re-bind fails with EINVAL (FreeBSD §3.1, macOS §4.1); it is not
# checked under illumos (not read) and windows (Winsock's name is WSAEINVAL, not in semantics.md).
# Linux details: accepted children inherit the listener's SO_REUSEADDR and share its bind bucket
# (__inet_inherit_port), and a TIME-WAIT minisock keeps the flags of the socket that closed
# (inet_twsk_alloc) and stays in the bind table for 60 s (semantics.md §2.1, §2.11). The bind
# predicate (inet_csk_bind_conflict, §2.3) lets the new listener share the port with a TIME-WAIT
# only if BOTH have SO_REUSEADDR. So of the four combinations of old/new SO_REUSEADDR, only 1/1
# succeeds (§2.11 last row, [test]); setting SO_REUSEADDR on the new socket alone is not enough
# (§1 correction 2, §8). Each case uses its own port; at the end, 60 s later, the TIME-WAITs have
# expired and the failed binds succeed.
host server 10.0.0.2
host client 10.0.0.1
client: c1 = socket(inet, stream)
client: c2 = socket(inet, stream)
client: c3 = socket(inet, stream)
client: c4 = socket(inet, stream)

# old 0 / new 0 -> EADDRINUSE (Windows: assumed OK)
server: l1 = socket(inet, stream)
server: bind(l1, 0.0.0.0:8001) = 0
server: listen(l1, 16) = 0
client: connect(c1, 10.0.0.2:8001) = 0
server: a1 = accept(l1)
server: close(a1) = 0
client: close(c1) = 0
server: close(l1) = 0
expect server: count TIME_WAIT port 8001 == 1
server: n1 = socket(inet, stream)
# windows: assumed, see windows.bind.ignores-connections (§5.1: not documented).
server: bind(n1, 0.0.0.0:8001) = -1 EADDRINUSE @linux,freebsd,macos,illumos = 0 @windows

# old 0 / new 1 -> Linux: EADDRINUSE (the TIME-WAIT child has no SO_REUSEADDR); elsewhere OK
server: l2 = socket(inet, stream)
server: bind(l2, 0.0.0.0:8002) = 0
server: listen(l2, 16) = 0
client: connect(c2, 10.0.0.2:8002) = 0
server: a2 = accept(l2)
server: close(a2) = 0
client: close(c2) = 0
server: close(l2) = 0
expect server: count TIME_WAIT port 8002 == 1
server: n2 = socket(inet, stream)
server: setsockopt(n2, SO_REUSEADDR, 1) = 0
# freebsd §3.1, macos §4.1, illumos §6: the new socket's SO_REUSEADDR suffices.
# windows: assumed, see windows.bind.ignores-connections.
server: bind(n2, 0.0.0.0:8002) = -1 EADDRINUSE @linux = 0 @freebsd,macos,illumos,windows

# old 1 / new 0 -> EADDRINUSE (the new socket has no SO_REUSEADDR; Windows: assumed OK)
server: l3 = socket(inet, stream)
server: setsockopt(l3, SO_REUSEADDR, 1) = 0
server: bind(l3, 0.0.0.0:8003) = 0
server: listen(l3, 16) = 0
client: connect(c3, 10.0.0.2:8003) = 0
server: a3 = accept(l3)
server: close(a3) = 0
client: close(c3) = 0
server: close(l3) = 0
expect server: count TIME_WAIT port 8003 == 1
server: n3 = socket(inet, stream)
# windows: assumed, see windows.bind.ignores-connections.
server: bind(n3, 0.0.0.0:8003) = -1 EADDRINUSE @linux,freebsd,macos,illumos = 0 @windows

# old 1 / new 1 -> OK, and the new listener may listen (a TIME-WAIT is not LISTEN)
server: l4 = socket(inet, stream)
server: setsockopt(l4, SO_REUSEADDR, 1) = 0
server: bind(l4, 0.0.0.0:8004) = 0
server: listen(l4, 16) = 0
client: connect(c4, 10.0.0.2:8004) = 0
server: a4 = accept(l4)
server: close(a4) = 0
client: close(c4) = 0
server: close(l4) = 0
expect server: count TIME_WAIT port 8004 == 1
server: n4 = socket(inet, stream)
server: setsockopt(n4, SO_REUSEADDR, 1) = 0
# windows: assumed, see windows.bind.ignores-connections.
server: bind(n4, 0.0.0.0:8004) = 0
server: listen(n4, 16) = 0
expect server: count TIME_WAIT port 8004 == 1

# After TCP_TIMEWAIT_LEN (60 s) the TIME-WAITs are gone and every failed restart succeeds
# (FreeBSD 60 s, macOS 30 s, illumos 60 s; Windows 120 s: still there). 65 s, not 61 s: Linux's
# timer wheel may fire a 60 s TIME-WAIT timer up to 2 s late at HZ=250, and `portlab conform`
# runs this on the real kernel (docs/semantics/README.md, "TIME-WAIT expiry").
wait 65s
expect server: count TIME_WAIT == 0 @linux,freebsd,macos,illumos
expect server: count TIME_WAIT == 4 @windows
server: bind(n1, 0.0.0.0:8001) = 0 @linux,freebsd,macos,illumos
server: listen(n1, 16) = 0
# n2 is already bound on the BSDs (its bind above succeeded): EINVAL (§3.1, §4.1).
server: bind(n2, 0.0.0.0:8002) = 0 @linux = -1 EINVAL @freebsd,macos
server: listen(n2, 16) = 0
server: bind(n3, 0.0.0.0:8003) = 0 @linux,freebsd,macos,illumos
server: listen(n3, 16) = 0
