# Restarting a listener over the TIME-WAIT children of its previous incarnation, on every OS.
# The server closes its accepted connection first, so that connection ends in TIME-WAIT on the
# server (10.0.0.2:P -> client); then the old listener is closed and a new socket binds
# 0.0.0.0:P, with and without SO_REUSEADDR on the old and on the new socket.
#
# Linux (semantics.md §2.3, §2.11 last row, §1 correction 2): accepted children inherit the
#   listener's SO_REUSEADDR and the TIME-WAIT keeps it; the new bind shares the port with the
#   TIME-WAIT only if BOTH have SO_REUSEADDR. Only old 1 / new 1 succeeds.
# FreeBSD / macOS (§3.1, §4.1): only the new socket's options choose the lookup. Without options
#   the WILDCARD lookup finds the TIME-WAIT PCB -> EADDRINUSE; with SO_REUSEADDR the EXACT lookup
#   never returns connected or TIME-WAIT PCBs -> OK, whatever the old socket had.
# illumos (§6): the new socket's SO_REUSEADDR alone decides; TIME-WAIT never conflicts with it.
# Windows (§5.1, §10): whether TIME-WAIT endpoints count as a "first bind" is not documented; the
#   profile assumes they do not (rule windows.bind.ignores-connections, marked ASSUMED), so every
#   restart binds. The XP-era variant makes the same assumption.
# At the end, after the longest TIME-WAIT (Windows TcpTimedWaitDelay 120 s; Linux, FreeBSD and
# illumos 60 s; macOS 30 s, §1 table), a restart without SO_REUSEADDR succeeds everywhere.
# Linux behaviour is the default expectation (no `@`), so Linux version variants (for example
# `--os linux-4.4`) are checked too.
os linux,freebsd,macos,windows,windows-xp,illumos
host server 10.0.0.2
host client 10.0.0.1
client: c1 = socket(inet, stream)
client: c2 = socket(inet, stream)
client: c3 = socket(inet, stream)
client: c4 = socket(inet, stream)

# old 0 / new 0
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
server: bind(n1, 0.0.0.0:8001) = 0 @windows,windows-xp = -1 EADDRINUSE

# old 0 / new 1: enough everywhere but Linux
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
server: bind(n2, 0.0.0.0:8002) = 0 @freebsd,macos,illumos,windows,windows-xp = -1 EADDRINUSE

# old 1 / new 0: the old socket's flag does not help the BSDs or illumos
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
server: bind(n3, 0.0.0.0:8003) = 0 @windows,windows-xp = -1 EADDRINUSE

# old 1 / new 1: the portable recipe
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
server: bind(n4, 0.0.0.0:8004) = 0
server: listen(n4, 16) = 0
expect server: count TIME_WAIT port 8004 == 1

# After the longest TIME-WAIT (Windows: 120 s) even a socket without SO_REUSEADDR binds.
server: close(n1) = 0
server: close(n2) = 0
server: close(n3) = 0
wait 121s
expect server: count TIME_WAIT == 0
server: m1 = socket(inet, stream)
server: bind(m1, 0.0.0.0:8001) = 0
server: listen(m1, 16) = 0
server: m3 = socket(inet, stream)
server: bind(m3, 0.0.0.0:8003) = 0
server: listen(m3, 16) = 0
