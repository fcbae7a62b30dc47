# Ephemeral port exhaustion with a 2-port range 40000-40001 (Windows: 255 ports, its minimum).
# Per OS, what a deployment should know:
# * Linux (semantics.md §2.10, §2.7, §1 "ephemeral exhaustion errno"): bind(0) and connect() fail
#   with DIFFERENT errnos (bind(0) EADDRINUSE, connect() EADDRNOTAVAIL); connect() never takes a
#   port held by bind(), but shares its own ports between destinations (4-tuple sharing).
# * FreeBSD (§3.2, §3.3): EADDRNOTAVAIL for both; connect() also shares ports across destinations
#   (13.0+), and skips ports held by bound sockets.
# * macOS (§4.2): EADDRNOTAVAIL for both, and connect() does NOT share ports across destinations:
#   every connection needs a completely unused port, so the range runs out twice as fast here.
# * illumos (§6): EADDRNOTAVAIL (TNOADDR; the errno mapping is inferred). connect() is assumed to
#   take a completely unused port (not read: illumos.connect.autobind.ok is ASSUMED), so like
#   macOS no sharing across destinations.
# * Windows (§5.2): the dynamic range cannot be made smaller than 255 ports
#   (netsh ... dynamicport tcp num=255..), so the few sockets below do not exhaust it and every call
#   succeeds; the exhaustion errnos (connect WSAENOBUFS + event 4231, bind(0) WSAEADDRINUSE) are
#   not established and the profile only assumes them (windows.connect.autobind.exhausted,
#   windows.bind.port0.exhausted). The port choice is undocumented (windows.bind.port0.ok,
#   windows.connect.autobind.ok are ASSUMED).
# Linux details:
# * bind(addr, 0) -> inet_csk_find_open_port: a port is usable only if nothing overlapping holds
#   it (relax=false: any existing socket conflicts, whatever its flags). With both ports taken
#   the third bind(0) fails with EADDRINUSE (inet_csk_get_port; ip_autobind_reuse=0).
# * connect() autobind -> __inet_hash_connect: it never shares a port whose bind bucket was created
#   by bind(), so while the two bind(0) sockets exist connect() finds nothing: EADDRNOTAVAIL.
# * Ports taken by connect() are shared between connections as long as the 4-tuples differ: two
#   connects to 10.0.0.2:80 use both ports, a third to the same destination fails with
#   EADDRNOTAVAIL, but connects to another destination (10.0.0.2:81) still succeed, reusing the
#   same source ports (4-tuple sharing). A bind(0) still finds no port (EADDRINUSE).
# Parity (§2.10): bind(0) starts at the parity opposite to `low` (offset | 1), connect() at low's
# parity (offset & ~1), so with this range the first bind(0) gets 40001 and the first connect 40000.
# The other OSes have no parity rule (random start or sequential, §3.3, §4.2, §6), so only the
# range is checked for them.
host client 10.0.0.1
host server 10.0.0.2
sysctl client net.ipv4.ip_local_port_range=40000 40001 @linux
sysctl client net.inet.ip.portrange.first=40000 @freebsd,macos
sysctl client net.inet.ip.portrange.last=40001 @freebsd,macos
sysctl client tcp_smallest_anon_port=40000 @illumos
sysctl client tcp_largest_anon_port=40001 @illumos
sysctl client netsh.dynamicport.tcp.start=40000 @windows
sysctl client netsh.dynamicport.tcp.num=255 @windows
server: l80 = socket(inet, stream)
server: bind(l80, 0.0.0.0:80) = 0
server: listen(l80, 16) = 0
server: l81 = socket(inet, stream)
server: bind(l81, 0.0.0.0:81) = 0
server: listen(l81, 16) = 0

# bind(0) exhausts the range: EADDRINUSE on Linux, EADDRNOTAVAIL on the BSDs and illumos.
client: b1 = socket(inet, stream)
client: bind(b1, 10.0.0.1:0) = 0
client: b2 = socket(inet, stream)
client: bind(b2, 10.0.0.1:0) = 0
client: B1 = port(b1)
client: B2 = port(b2)
expect B1 in 40000..40001 @linux,freebsd,macos,illumos
expect B2 in 40000..40001 @linux,freebsd,macos,illumos
expect B1 in 40000..40254 @windows
expect B2 in 40000..40254 @windows
expect B1 != B2
expect B1 == 40001 @linux
client: b3 = socket(inet, stream)
# freebsd, macos: §3.3, §4.2. illumos: §6 (TNOADDR -> EADDRNOTAVAIL inferred).
# windows: 253 ports still free; assumed, see windows.bind.port0.ok.
client: bind(b3, 10.0.0.1:0) = -1 EADDRINUSE @linux = -1 EADDRNOTAVAIL @freebsd,macos,illumos = 0 @windows
# connect() does not share ports owned by bind(): EADDRNOTAVAIL (Linux §2.7, FreeBSD §3.2: no
# bound PCB may hold (laddr, lport), macOS §4.2: completely unused port, illumos §6 inferred).
# windows: range not exhausted; assumed, see windows.connect.autobind.ok.
client: k = socket(inet, stream)
client: connect(k, 10.0.0.2:80) = -1 EADDRNOTAVAIL @linux,freebsd,macos,illumos = 0 @windows
client: close(k) = 0
client: close(b1) = 0
client: close(b2) = 0
client: close(b3) = 0

# connect() exhausts the range towards one destination: EADDRNOTAVAIL.
client: c1 = socket(inet, stream)
client: connect(c1, 10.0.0.2:80) = 0
client: c2 = socket(inet, stream)
client: connect(c2, 10.0.0.2:80) = 0
client: C1 = port(c1)
client: C2 = port(c2)
expect C1 in 40000..40001 @linux,freebsd,macos,illumos
expect C2 in 40000..40001 @linux,freebsd,macos,illumos
expect C1 in 40000..40254 @windows
expect C2 in 40000..40254 @windows
expect C1 != C2
expect C1 == 40000 @linux
client: c3 = socket(inet, stream)
# windows: range not exhausted; assumed, see windows.connect.autobind.ok.
client: connect(c3, 10.0.0.2:80) = -1 EADDRNOTAVAIL @linux,freebsd,macos,illumos = 0 @windows
expect client: count ESTABLISHED == 2 @linux,freebsd,macos,illumos
expect client: count ESTABLISHED == 3 @windows

# A different destination: Linux and FreeBSD use the same two source ports again (4-tuple
# sharing, §2.10, §3.2). macOS never shares an ephemeral port between connections (§4.2), and
# illumos is assumed not to (illumos.connect.autobind.ok, ASSUMED): EADDRNOTAVAIL.
client: d1 = socket(inet, stream)
client: connect(d1, 10.0.0.2:81) = 0 @linux,freebsd,windows = -1 EADDRNOTAVAIL @macos,illumos
client: d2 = socket(inet, stream)
client: connect(d2, 10.0.0.2:81) = 0 @linux,freebsd,windows = -1 EADDRNOTAVAIL @macos,illumos
client: D1 = port(d1)
client: D2 = port(d2)
expect D1 in 40000..40001 @linux,freebsd
expect D2 in 40000..40001 @linux,freebsd
expect D1 in 40000..40254 @windows
expect D2 in 40000..40254 @windows
expect D1 != D2 @linux,freebsd,windows
expect D1 == 40000 @linux
client: d3 = socket(inet, stream)
client: connect(d3, 10.0.0.2:81) = -1 EADDRNOTAVAIL @linux,freebsd,macos,illumos = 0 @windows
expect client: count ESTABLISHED == 4 @linux,freebsd
expect client: count ESTABLISHED port 40000 == 2 @linux,freebsd
expect client: count ESTABLISHED port 40001 == 2 @linux,freebsd
expect client: count ESTABLISHED == 2 @macos,illumos
expect client: count ESTABLISHED == 6 @windows

# bind(0) finds no free port either.
client: b4 = socket(inet, stream)
client: bind(b4, 10.0.0.1:0) = -1 EADDRINUSE @linux = -1 EADDRNOTAVAIL @freebsd,macos,illumos = 0 @windows
