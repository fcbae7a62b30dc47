# A server restart over its own TIME-WAIT children. The server closes its accepted connections
# first, so each one ends in TIME-WAIT on the server (10.0.0.2:P -> client); then the listener is
# closed and a new listener binds 0.0.0.0:P.
# Linux: accepted children inherit the listener's SO_REUSEADDR and share its bind bucket
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

# old 0 / new 0 -> EADDRINUSE
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
server: bind(n1, 0.0.0.0:8001) = -1 EADDRINUSE

# old 0 / new 1 -> EADDRINUSE (the TIME-WAIT child has no SO_REUSEADDR)
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
server: bind(n2, 0.0.0.0:8002) = -1 EADDRINUSE

# old 1 / new 0 -> EADDRINUSE (the new socket has no SO_REUSEADDR)
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
server: bind(n3, 0.0.0.0:8003) = -1 EADDRINUSE

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
server: bind(n4, 0.0.0.0:8004) = 0
server: listen(n4, 16) = 0
expect server: count TIME_WAIT port 8004 == 1

# After TCP_TIMEWAIT_LEN (60 s) the TIME-WAITs are gone and every failed restart succeeds.
wait 61s
expect server: count TIME_WAIT == 0
server: bind(n1, 0.0.0.0:8001) = 0
server: listen(n1, 16) = 0
server: bind(n2, 0.0.0.0:8002) = 0
server: listen(n2, 16) = 0
server: bind(n3, 0.0.0.0:8003) = 0
server: listen(n3, 16) = 0
