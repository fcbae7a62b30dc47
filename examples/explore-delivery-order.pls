# portlab explore: the order in which the network delivers segments, as a choice point. The peer
# closes first; then our side shuts down its sending direction and closes abortively
# (SO_LINGER {1, 0}), expecting never to hold a TIME-WAIT on the client. Every call runs in one
# fixed order (no processes): only the network can reorder things.
#   portlab explore examples/explore-delivery-order.pls                         # safe
#   portlab explore examples/explore-delivery-order.pls --network interleave    # UNSAFE
# Answer: by default the network delivers every segment at once, so the peer's FIN reaches us
# before our shutdown(): we close passively (CLOSE-WAIT, LAST-ACK) and never enter TIME-WAIT. Safe.
# With `--network interleave` segments are held per flow and each delivery is a choice point: the
# peer's FIN can still be in flight when our shutdown() sends our FIN. The two FINs cross
# (a simultaneous close: both sides CLOSING), and the peer's ACK of our FIN then puts the client in
# TIME-WAIT before our linger-0 close(). This is the race of explore-shutdown-then-linger0.pls
# ("the peer's FIN arriving between your shutdown() and your linger-0 close()") found in the
# network's delivery order instead of in the order of two processes. The replay script has a
# `network interleave` line and one `deliver SRC -> DST` step per delivery.
# explore-exit: 0              (CTest: `portlab explore` on this script exits 0)
# explore-interleave-exit: 1   (CTest: `portlab explore --network interleave` exits 1)
os linux
host client 10.0.0.1
host server 10.0.0.2
server: l = socket(inet, stream)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0
client: c = socket(inet, stream)
client: bind(c, 10.0.0.1:5000) = 0
client: connect(c, 10.0.0.2:80) = 0
server: a = accept(l)

never client: count TIME_WAIT >= 1

server: close(a) = 0
client: setsockopt(c, SO_LINGER, {1, 0}) = 0
client: shutdown(c, SHUT_WR) = 0
client: close(c) = 0
