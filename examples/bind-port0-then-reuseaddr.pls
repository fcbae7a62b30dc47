# The seed's second case: bind S1 to port 0, set SO_REUSEADDR on it afterwards, read its port P
# (getsockname), and bind S2 (with SO_REUSEADDR) to the same P.
# Per OS, what a deployment should know:
# * Linux: S2's bind succeeds (both have SO_REUSEADDR, read at check time), but only one of the two
#   can listen; details below.
# * FreeBSD, macOS: S2's bind fails with EADDRINUSE: only the NEW socket's options choose the
#   lookup, and an exact duplicate of an unconnected address needs SO_REUSEPORT on both
#   (semantics.md §3.1 table, §4.1). listen() never re-checks conflicts (§3.1, §4.2), so S1
#   listens, and S2 (left unbound) listen()s on an ephemeral port it autobinds.
# * illumos: the same as the BSDs: with SO_REUSEADDR, a BOUND or LISTEN socket with exactly the
#   same address still conflicts (§6). listen() is assumed not to re-check (illumos.listen.ok,
#   ASSUMED).
# * Windows: SO_REUSEADDR must be set BEFORE bind() to have any effect (§5.1), so S1 counts as a
#   first bind with no option, and S2's SO_REUSEADDR bind to the same specific address is DENIED:
#   WSAEACCES (§5.1 matrix, row "SO_REUSEADDR, Specific", column "none, Specific"); the late
#   setsockopt itself succeeds (windows.setsockopt.reuse-after-bind). Case 3 (S1 never sets it)
#   is the same matrix cell: WSAEACCES.
# * Ephemeral ranges (§1): Linux 32768-60999, FreeBSD 10000-65535, macOS and Windows 49152-65535,
#   illumos 32768-65535.
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
expect P in 32768..60999 @linux
expect P in 10000..65535 @freebsd
expect P in 49152..65535 @macos,windows
expect P in 32768..65535 @illumos
s2 = socket(inet, stream)
setsockopt(s2, SO_REUSEADDR, 1) = 0
# freebsd §3.1, macos §4.1, illumos §6; windows §5.1: S1's SO_REUSEADDR came after its bind(),
# so it does not count: (none, specific) then (SO_REUSEADDR, specific) is DENIED.
bind(s2, 127.0.0.1:P) = 0 @linux = -1 EADDRINUSE @freebsd,macos,illumos = -1 WSAEACCES @windows
listen(s1, 16) = 0
# BSDs, windows: S2 is unbound, listen() autobinds it (§3.1, §4.2); illumos, windows: assumed,
# see illumos.listen.ok, windows.listen.ok.
listen(s2, 16) = -1 EADDRINUSE @linux = 0 @freebsd,macos,illumos,windows
close(s2) = 0
close(s1) = 0

# 2. Same, but S2 listens first: now S1's listen() is the one that fails (Linux only).
s3 = socket(inet, stream)
bind(s3, 127.0.0.1:0) = 0
setsockopt(s3, SO_REUSEADDR, 1) = 0
Q = port(s3)
s4 = socket(inet, stream)
setsockopt(s4, SO_REUSEADDR, 1) = 0
bind(s4, 127.0.0.1:Q) = 0 @linux = -1 EADDRINUSE @freebsd,macos,illumos = -1 WSAEACCES @windows
# BSDs: S4 is unbound, listen() autobinds (§3.1, §4.2); illumos: assumed, see illumos.listen.ok.
listen(s4, 16) = 0 @linux,freebsd,macos,illumos,windows
# Only Linux re-checks at listen() (§2.6). illumos, windows: assumed, see illumos.listen.ok and
# windows.listen.ok (§5.1: not documented).
listen(s3, 16) = -1 EADDRINUSE @linux = 0 @freebsd,macos,illumos,windows
close(s4) = 0
close(s3) = 0

# 3. Only the second socket sets SO_REUSEADDR: its bind fails everywhere (windows: DENIED, §5.1).
s5 = socket(inet, stream)
bind(s5, 127.0.0.1:0) = 0
R = port(s5)
s6 = socket(inet, stream)
setsockopt(s6, SO_REUSEADDR, 1) = 0
bind(s6, 127.0.0.1:R) = -1 EADDRINUSE @linux,freebsd,macos,illumos = -1 WSAEACCES @windows
