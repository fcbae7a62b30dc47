# portlab explore: an ICE-TCP agent's fixed-port redial, on every OS. The agent has a connection
# from its fixed local port 10.0.0.1:5000; when it decides the connection is dead it closes it
# abortively (SO_LINGER {1, 0}, so that no TIME-WAIT holds the port) and dials again from the same
# port. Some code paths of the agent call shutdown(SHUT_WR) first (a library's "polite" close):
# the `choose` lets the search take either path. Meanwhile the remote peer closes its side on its
# own schedule. Does the redial always succeed, whatever the order of these calls and whenever
# timers fire?
# Answer: with shutdown() first, the peer's close() can land between our shutdown() and close(),
# which leaves TIME-WAIT on the 4-tuple (the shutdown-then-linger0 race of
# examples/explore-shutdown-then-linger0.pls). Linux recycles that TIME-WAIT for the redial
# (timestamps are on by default, tcp_twsk_unique, semantics.md §2.7): safe. FreeBSD, macOS, Windows
# and illumos refuse the 4-tuple: the shortest counterexample is 17 steps and ends in EADDRINUSE.
#   portlab explore examples/ice-tcp-redial.pls --os all
# A verdict per OS: "safe", or the shortest interleaving in which some call returns something else
# than the script expects, with a script that `portlab check` replays.
# explore-exit: 1   (CTest: `portlab explore` on this script exits 1)
os linux,freebsd,macos,windows,illumos
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

# Never two connections on the redial's 4-tuple (the model refuses a second one: checked anyway).
never client: count ESTABLISHED 10.0.0.1:5000 -> 10.0.0.2:80 >= 2

process agent on client {
  choose {
    setsockopt(c, SO_LINGER, {1, 0}) = 0
  } or {
    shutdown(c, SHUT_WR) = 0
    setsockopt(c, SO_LINGER, {1, 0}) = 0
  }
  close(c) = 0
  c2 = socket(inet, stream)
  setsockopt(c2, SO_REUSEADDR, 1) = 0
  bind(c2, 10.0.0.1:5000) = 0
  connect(c2, 10.0.0.2:80) = 0
}
process peer on server {
  close(a) = 0
  a2 = accept(l)
}
