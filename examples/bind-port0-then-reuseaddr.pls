# The seed's second case: bind S1 to port 0, set SO_REUSEADDR on it afterwards, read its port P
# (getsockname), and bind S2 (with SO_REUSEADDR) to the same P.
# Linux: the bind-conflict predicate (inet_csk_bind_conflict, semantics.md §2.3) is symmetric:
# two sockets may share an address:port through SO_REUSEADDR only if BOTH have it and the existing
# one is not listening. SO_REUSEADDR is read at check time (sk_reuse), so setting it on S1 after
# its bind(0) still counts: S2's bind succeeds. But listen() re-runs the same predicate with the
# listening socket in LISTEN (inet_csk_listen_start -> get_port, §2.6), so only one of them can
# listen: whoever listens second gets EADDRINUSE. And if only S2 sets SO_REUSEADDR (S1 without),
# S2's bind fails with EADDRINUSE (§1 "who decides SO_REUSEADDR sharing", §8).

# 1. S1 bind(0), then SO_REUSEADDR; S2 with SO_REUSEADDR binds the same port; S1 listens first.
s1 = socket(inet, stream)
bind(s1, 127.0.0.1:0) = 0
setsockopt(s1, SO_REUSEADDR, 1) = 0
P = port(s1)
expect P in 32768..60999
s2 = socket(inet, stream)
setsockopt(s2, SO_REUSEADDR, 1) = 0
bind(s2, 127.0.0.1:P) = 0
listen(s1, 16) = 0
listen(s2, 16) = -1 EADDRINUSE
close(s2) = 0
close(s1) = 0

# 2. Same, but S2 listens first: now S1's listen() is the one that fails.
s3 = socket(inet, stream)
bind(s3, 127.0.0.1:0) = 0
setsockopt(s3, SO_REUSEADDR, 1) = 0
Q = port(s3)
s4 = socket(inet, stream)
setsockopt(s4, SO_REUSEADDR, 1) = 0
bind(s4, 127.0.0.1:Q) = 0
listen(s4, 16) = 0
listen(s3, 16) = -1 EADDRINUSE
close(s4) = 0
close(s3) = 0

# 3. Only the second socket sets SO_REUSEADDR: its bind fails.
s5 = socket(inet, stream)
bind(s5, 127.0.0.1:0) = 0
R = port(s5)
s6 = socket(inet, stream)
setsockopt(s6, SO_REUSEADDR, 1) = 0
bind(s6, 127.0.0.1:R) = -1 EADDRINUSE
