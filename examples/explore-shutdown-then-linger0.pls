# portlab explore: does "shutdown(SHUT_WR), then close() with SO_LINGER {1, 0}" always avoid
# TIME-WAIT on the client? No: if the peer's close() (its FIN) arrives between our shutdown() and
# our close(), the client is already in TIME-WAIT when close() runs, and a linger-0 close() of a
# TIME-WAIT connection sends nothing (semantics.md §2.12 step 3). `portlab explore` finds that
# interleaving and prints it as a 3-step counterexample.
#   portlab explore examples/explore-shutdown-then-linger0.pls
# Compare examples/explore-linger0-safe.pls (no shutdown: safe).
# explore-exit: 1   (CTest: `portlab explore` on this script exits 1)
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

# The property: the client never holds a TIME-WAIT.
never client: count TIME_WAIT >= 1

process app on client {
  setsockopt(c, SO_LINGER, {1, 0}) = 0
  shutdown(c, SHUT_WR) = 0
  close(c) = 0
}
process peer on server {
  close(a) = 0
}
