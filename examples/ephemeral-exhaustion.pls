# Ephemeral port exhaustion with a 2-port range, net.ipv4.ip_local_port_range=40000 40001.
# Linux (semantics.md §2.10, §2.7, §1 "ephemeral exhaustion errno"):
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
host client 10.0.0.1
host server 10.0.0.2
sysctl client net.ipv4.ip_local_port_range=40000 40001
server: l80 = socket(inet, stream)
server: bind(l80, 0.0.0.0:80) = 0
server: listen(l80, 16) = 0
server: l81 = socket(inet, stream)
server: bind(l81, 0.0.0.0:81) = 0
server: listen(l81, 16) = 0

# bind(0) exhausts the range: EADDRINUSE.
client: b1 = socket(inet, stream)
client: bind(b1, 10.0.0.1:0) = 0
client: b2 = socket(inet, stream)
client: bind(b2, 10.0.0.1:0) = 0
client: B1 = port(b1)
client: B2 = port(b2)
expect B1 in 40000..40001
expect B2 in 40000..40001
expect B1 != B2
expect B1 == 40001
client: b3 = socket(inet, stream)
client: bind(b3, 10.0.0.1:0) = -1 EADDRINUSE
# connect() does not share ports owned by bind(): EADDRNOTAVAIL.
client: k = socket(inet, stream)
client: connect(k, 10.0.0.2:80) = -1 EADDRNOTAVAIL
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
expect C1 in 40000..40001
expect C2 in 40000..40001
expect C1 != C2
expect C1 == 40000
client: c3 = socket(inet, stream)
client: connect(c3, 10.0.0.2:80) = -1 EADDRNOTAVAIL
expect client: count ESTABLISHED == 2

# A different destination: the same two source ports are used again.
client: d1 = socket(inet, stream)
client: connect(d1, 10.0.0.2:81) = 0
client: d2 = socket(inet, stream)
client: connect(d2, 10.0.0.2:81) = 0
client: D1 = port(d1)
client: D2 = port(d2)
expect D1 in 40000..40001
expect D2 in 40000..40001
expect D1 != D2
expect D1 == 40000
client: d3 = socket(inet, stream)
client: connect(d3, 10.0.0.2:81) = -1 EADDRNOTAVAIL
expect client: count ESTABLISHED == 4
expect client: count ESTABLISHED port 40000 == 2
expect client: count ESTABLISHED port 40001 == 2

# bind(0) finds no free port either.
client: b4 = socket(inet, stream)
client: bind(b4, 10.0.0.1:0) = -1 EADDRINUSE
