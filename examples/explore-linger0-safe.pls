# portlab explore: close() with SO_LINGER {1, 0} and no shutdown() before it leaves no TIME-WAIT
# on the client, whenever the peer closes: before our close() we are in CLOSE-WAIT (the passive
# side never enters TIME-WAIT), after it the connection was reset. Verdict: safe.
#   portlab explore examples/explore-linger0-safe.pls
# explore-exit: 0   (CTest: `portlab explore` on this script exits 0)
os linux
host client 10.0.0.1
host server 10.0.0.2
server: l = socket(inet, stream)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0
client: c = socket(inet, stream)
client: setsockopt(c, SO_REUSEADDR, 1) = 0
client: bind(c, 10.0.0.1:5000) = 0
client: connect(c, 10.0.0.2:80) = 0
server: a = accept(l)

never client: count TIME_WAIT >= 1

process app on client {
  setsockopt(c, SO_LINGER, {1, 0}) = 0
  close(c) = 0
}
process peer on server {
  close(a) = 0
}
