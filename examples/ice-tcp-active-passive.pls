# ICE-TCP (RFC 6544) with an active and a passive candidate on the same local port P = 9000: a
# listener on *:P keeps accepting while an "active" socket bound to 127.0.0.1:P connects out.
# Linux (semantics.md §7.3 last paragraph, [test]; predicate of §2.3, inet_csk_bind_conflict):
# SO_REUSEADDR never lets a socket share a port with a LISTENING socket (E.state != LISTEN is part
# of the SO_REUSEADDR exemption), so an active socket with SO_REUSEADDR only gets EADDRINUSE.
# SO_REUSEPORT on both sockets (same uid) is what lets them share: the active socket with
# SO_REUSEADDR+SO_REUSEPORT (or SO_REUSEPORT alone) binds 127.0.0.1:P and connects, while the
# listener still accepts inbound connections to P. A connect() from the shared port must still
# have a unique 4-tuple (__inet_check_established, §2.7): a second active socket towards the same
# remote gets EADDRNOTAVAIL, towards another remote it succeeds.
# The loopback layout is the one of the Linux experiment (t_extra.py, §9): the remote candidates
# are listeners on 127.0.0.1:7000 and 127.0.0.1:7001 on the same host.
r1 = socket(inet, stream)
bind(r1, 127.0.0.1:7000) = 0
listen(r1, 16) = 0
r2 = socket(inet, stream)
bind(r2, 127.0.0.1:7001) = 0
listen(r2, 16) = 0

# Passive candidate: *:9000 with SO_REUSEADDR + SO_REUSEPORT.
l = socket(inet, stream)
setsockopt(l, SO_REUSEADDR, 1) = 0
setsockopt(l, SO_REUSEPORT, 1) = 0
bind(l, 0.0.0.0:9000) = 0
listen(l, 16) = 0

# Active candidate on the same port, SO_REUSEADDR + SO_REUSEPORT: bind and connect OK.
act = socket(inet, stream)
setsockopt(act, SO_REUSEADDR, 1) = 0
setsockopt(act, SO_REUSEPORT, 1) = 0
bind(act, 127.0.0.1:9000) = 0
connect(act, 127.0.0.1:7000) = 0
x1 = accept(r1)
expect state 127.0.0.1:9000 -> 127.0.0.1:7000 == ESTABLISHED
expect state l == LISTEN

# The listener keeps accepting inbound connections to port 9000.
in = socket(inet, stream)
connect(in, 127.0.0.1:9000) = 0
a = accept(l)
expect state a == ESTABLISHED
expect count ESTABLISHED port 9000 == 2

# Active socket with SO_REUSEADDR only: EADDRINUSE (the listener blocks it).
ra = socket(inet, stream)
setsockopt(ra, SO_REUSEADDR, 1) = 0
bind(ra, 127.0.0.1:9000) = -1 EADDRINUSE

# Active socket with SO_REUSEPORT only: bind OK; same remote -> EADDRNOTAVAIL (the 4-tuple is
# held by the established active connection); another remote -> OK.
rp = socket(inet, stream)
setsockopt(rp, SO_REUSEPORT, 1) = 0
bind(rp, 127.0.0.1:9000) = 0
connect(rp, 127.0.0.1:7000) = -1 EADDRNOTAVAIL
close(rp) = 0
rp2 = socket(inet, stream)
setsockopt(rp2, SO_REUSEPORT, 1) = 0
bind(rp2, 127.0.0.1:9000) = 0
connect(rp2, 127.0.0.1:7001) = 0
x2 = accept(r2)
expect state 127.0.0.1:9000 -> 127.0.0.1:7001 == ESTABLISHED
expect state l == LISTEN
