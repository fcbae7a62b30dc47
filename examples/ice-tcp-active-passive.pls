# ICE-TCP (RFC 6544) with an active and a passive candidate on the same local port P = 9000: a
# listener on *:P keeps accepting while an "active" socket bound to 127.0.0.1:P connects out.
# Per OS, what a deployment should know:
# * Linux: SO_REUSEPORT on both sockets (same uid) is required; SO_REUSEADDR alone gets
#   EADDRINUSE because of the listener. Details below.
# * FreeBSD, macOS: a listener on *:P does not block a specific L:P bind by a socket with
#   SO_REUSEADDR or SO_REUSEPORT (the EXACT lookup sees only unconnected PCBs with the very same
#   address; semantics.md §3.1, §4.1, §7.3 last paragraph), so SO_REUSEADDR alone is enough. A
#   second active socket towards the same remote fails at connect() with EADDRINUSE (§3.2, §4.2).
# * illumos: the modelled snapshot has no SO_REUSEPORT (§6; newer illumos has it, not read), so
#   setsockopt answers ENOPROTOOPT. SO_REUSEADDR alone is enough: with it only an exactly equal
#   BOUND/LISTEN address conflicts (§6); without any option the listener blocks (EADDRINUSE).
# * Windows: no SO_REUSEPORT (ENOPROTOOPT in the model; Winsock's name is WSAENOPROTOOPT).
#   SO_REUSEADDR on the passive (wildcard) and the active (specific) socket: matrix SUCCESS
#   (§5.1). A socket with no option binding the specific address is CHECK against the listener
#   (allowed for the same user) and DENIED against the connected active socket if connected
#   sockets count as binds, which is not established: the profile assumes they do not
#   (windows.bind.ignores-connections, ASSUMED). connect() over an ESTABLISHED 4-tuple fails with
#   WSAEADDRINUSE (§1, §5.2, inferred).
# Linux (semantics.md §7.3 last paragraph, [test]; predicate of §2.3, inet_csk_bind_conflict):
# SO_REUSEADDR never lets a socket share a port with a LISTENING socket (E.state != LISTEN is part
# of the SO_REUSEADDR exemption), so an active socket with SO_REUSEADDR only gets EADDRINUSE.
# SO_REUSEPORT on both sockets (same uid) is what lets them share: the active socket with
# SO_REUSEADDR+SO_REUSEPORT (or SO_REUSEPORT alone) binds 127.0.0.1:P and connects, while the
# listener still accepts inbound connections to P. A connect() from the shared port must still
# have a unique 4-tuple (__inet_check_established, §2.7): a second active socket towards the same
# remote gets EADDRNOTAVAIL, towards another remote it succeeds.
# listen() on windows and illumos is (ASSUMED) not to re-check conflicts (windows.listen.ok,
# illumos.listen.ok); nothing here depends on it.
# The loopback layout is the one of the Linux experiment (t_extra.py, §9): the remote candidates
# are listeners on 127.0.0.1:7000 and 127.0.0.1:7001 on the same host.
r1 = socket(inet, stream)
bind(r1, 127.0.0.1:7000) = 0
listen(r1, 16) = 0
r2 = socket(inet, stream)
bind(r2, 127.0.0.1:7001) = 0
listen(r2, 16) = 0

# Passive candidate: *:9000 with SO_REUSEADDR + SO_REUSEPORT (windows, illumos: no SO_REUSEPORT).
l = socket(inet, stream)
setsockopt(l, SO_REUSEADDR, 1) = 0
setsockopt(l, SO_REUSEPORT, 1) = 0 @linux,freebsd,macos = -1 ENOPROTOOPT @illumos = -1 WSAENOPROTOOPT @windows
bind(l, 0.0.0.0:9000) = 0
listen(l, 16) = 0

# Active candidate on the same port, SO_REUSEADDR + SO_REUSEPORT: bind and connect OK
# (freebsd §3.1, macos §4.1, illumos §6, windows §5.1 "SO_REUSEADDR" row and column: SUCCESS).
act = socket(inet, stream)
setsockopt(act, SO_REUSEADDR, 1) = 0
setsockopt(act, SO_REUSEPORT, 1) = 0 @linux,freebsd,macos = -1 ENOPROTOOPT @illumos = -1 WSAENOPROTOOPT @windows
bind(act, 127.0.0.1:9000) = 0
connect(act, 127.0.0.1:7000) = 0
x1 = accept(r1)
expect state 127.0.0.1:9000 -> 127.0.0.1:7000 == ESTABLISHED
expect state l == LISTEN

# The listener keeps accepting inbound connections to port 9000.
in = socket(inet, stream)
# windows, illumos: autobind assumed (windows.connect.autobind.ok, illumos.connect.autobind.ok).
connect(in, 127.0.0.1:9000) = 0
a = accept(l)
expect state a == ESTABLISHED
expect count ESTABLISHED port 9000 == 2

# Active socket with SO_REUSEADDR only: EADDRINUSE on Linux (the listener blocks it). Elsewhere
# OK: freebsd §3.1, macos §4.1 (neither the wildcard listener nor the connected active socket is
# seen by the EXACT lookup), illumos §6 (neither is an exactly equal BOUND/LISTEN address),
# windows §5.1 (SO_REUSEADDR vs SO_REUSEADDR: SUCCESS whether or not the connected active
# socket counts; the model cites the assumed windows.bind.ignores-connections).
ra = socket(inet, stream)
setsockopt(ra, SO_REUSEADDR, 1) = 0
bind(ra, 127.0.0.1:9000) = -1 EADDRINUSE @linux = 0 @freebsd,macos,illumos,windows
close(ra) = 0

# Active socket with SO_REUSEPORT only: bind OK; same remote -> EADDRNOTAVAIL (the 4-tuple is
# held by the established active connection); another remote -> OK.
# illumos, windows: SO_REUSEPORT does not exist, so the socket has no reuse option.
# illumos: no option, the wildcard listener overlaps: EADDRINUSE (§6).
# windows: CHECK against the listener, same user: allowed; assumed, see
# windows.bind.ignores-connections (the connected active socket would make it DENIED).
rp = socket(inet, stream)
setsockopt(rp, SO_REUSEPORT, 1) = 0 @linux,freebsd,macos = -1 ENOPROTOOPT @illumos = -1 WSAENOPROTOOPT @windows
bind(rp, 127.0.0.1:9000) = 0 @linux,freebsd,macos,windows = -1 EADDRINUSE @illumos
# freebsd §3.2, macos §4.2, windows §1 "connect() when 4-tuple is ESTABLISHED" (inferred).
# illumos: rp is unbound after its failed bind, so connect() autobinds an ephemeral port;
# assumed, see illumos.connect.autobind.ok.
connect(rp, 127.0.0.1:7000) = -1 EADDRNOTAVAIL @linux = -1 EADDRINUSE @freebsd,macos = -1 WSAEADDRINUSE @windows = 0 @illumos
close(rp) = 0
rp2 = socket(inet, stream)
setsockopt(rp2, SO_REUSEPORT, 1) = 0 @linux,freebsd,macos = -1 ENOPROTOOPT @illumos = -1 WSAENOPROTOOPT @windows
bind(rp2, 127.0.0.1:9000) = 0 @linux,freebsd,macos,windows = -1 EADDRINUSE @illumos
# illumos: unbound again, autobind; assumed, see illumos.connect.autobind.ok.
connect(rp2, 127.0.0.1:7001) = 0
x2 = accept(r2)
expect state 127.0.0.1:9000 -> 127.0.0.1:7001 == ESTABLISHED @linux,freebsd,macos,windows
expect state 127.0.0.1:9000 -> 127.0.0.1:7001 == none @illumos
expect state l == LISTEN
