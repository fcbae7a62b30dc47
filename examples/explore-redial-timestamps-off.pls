# portlab explore: the seed's fixed-port redial after a graceful close, with TCP timestamps off on
# the client. The client closes first and ends in TIME-WAIT on 10.0.0.1:5000 -> 10.0.0.2:80; the
# redial binds the same port and connects to the same peer, and expects to succeed. Timers are
# choice points, so the search also tries the TIME-WAIT expiring before the redial.
# On Linux the redial recycles the TIME-WAIT only when the old connection negotiated timestamps
# (tcp_twsk_unique, semantics.md §2.7): the shortest counterexample ends in EADDRNOTAVAIL.
#   portlab explore examples/explore-redial-timestamps-off.pls
#   portlab explore examples/explore-redial-timestamps-off.pls --os all   # the BSDs never recycle it
# explore-exit: 1   (CTest: `portlab explore` on this script exits 1)
# explore-only   (CTest: not run by `portlab check`: its expectations state the goal, which one
#                sequential run, or another OS, does not meet; that is what explore is for)
os linux
host client 10.0.0.1
host server 10.0.0.2
sysctl client net.ipv4.tcp_timestamps=0 @linux
server: l = socket(inet, stream)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0
client: c = socket(inet, stream)
client: setsockopt(c, SO_REUSEADDR, 1) = 0
client: bind(c, 10.0.0.1:5000) = 0
client: connect(c, 10.0.0.2:80) = 0
server: a = accept(l)
client: close(c) = 0
server: close(a) = 0
client: c2 = socket(inet, stream)
client: setsockopt(c2, SO_REUSEADDR, 1) = 0
client: bind(c2, 10.0.0.1:5000) = 0
client: connect(c2, 10.0.0.2:80) = 0
