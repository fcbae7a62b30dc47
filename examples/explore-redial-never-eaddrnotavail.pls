# portlab explore: a property over call results. An application redials from its fixed local port
# 10.0.0.1:5000 right after closing the previous connection, while the peer closes its side on its
# own schedule. Timestamps are off on the client (as behind a middlebox that strips them), so
# Linux cannot recycle a TIME-WAIT on the 4-tuple (tcp_twsk_unique, semantics.md §2.7).
# The redial's connect() states no expected result; the property says what must never happen:
#   never client: connect(c2) = -1 EADDRNOTAVAIL
# is violated by any step, in any interleaving, that calls connect() on the socket in c2 and gets
# -1 EADDRNOTAVAIL. `portlab check` runs one order (app, then peer) and does not evaluate it.
#   portlab explore examples/explore-redial-never-eaddrnotavail.pls
# Answer: UNSAFE on Linux. The replay script ends with the redial carrying '!= -1 EADDRNOTAVAIL',
# which `portlab check` reports as failed.
# explore-exit: 1   (CTest: `portlab explore` on this script exits 1)
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
client: c2 = socket(inet, stream)

never client: connect(c2) = -1 EADDRNOTAVAIL

process app on client {
  close(c) = 0
  setsockopt(c2, SO_REUSEADDR, 1) = 0
  bind(c2, 10.0.0.1:5000) = 0
  connect(c2, 10.0.0.2:80)
}
process peer on server {
  close(a) = 0
}
