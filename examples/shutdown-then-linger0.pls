# Does shutdown(SHUT_WR) before a SO_LINGER {1, 0} close() defeat the abortive close? On Linux it
# depends on how far the connection got before close() (semantics.md §2.12, §8 "shutdown() before
# closesocket() defeats linger-0"):
# (a) shutdown(SHUT_WR) sends our FIN; the peer ACKs it but has not closed, so we sit in FIN-WAIT-2
#     with the fd open. close() with linger 0 -> __tcp_close -> tcp_disconnect(), which sends an RST
#     from FIN-WAIT-2 and goes to CLOSE: no TIME-WAIT (§2.12 step 5). The peer, in CLOSE-WAIT, first
#     reads EOF (our FIN arrived before the RST), then send() fails with EPIPE (tcp_reset sets EPIPE
#     in CLOSE-WAIT).
# (b) shutdown(SHUT_WR), then the peer closes too: our side goes FIN-WAIT-2 -> TIME-WAIT while the
#     fd is still open (the full socket is CLOSE, a TIME-WAIT minisock holds the 4-tuple). close()
#     with linger 0 then finds the socket already CLOSE and sends nothing (§2.12 step 3): the
#     TIME-WAIT remains, and a fixed-port reconnect is back to the graceful case, which depends on
#     TCP timestamps (tcp_twsk_unique, §2.7): OK with them, EADDRNOTAVAIL without.
host client 10.0.0.1
host legacy 10.0.0.3
host server 10.0.0.2
sysctl client net.ipv4.tcp_timestamps=1
sysctl legacy net.ipv4.tcp_timestamps=0
server: l = socket(inet, stream)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0

# (a) close in FIN-WAIT-2 (peer still open): RST, no TIME-WAIT.
client: c = socket(inet, stream)
client: setsockopt(c, SO_REUSEADDR, 1) = 0
client: bind(c, 10.0.0.1:5000) = 0
client: connect(c, 10.0.0.2:80) = 0
server: a = accept(l)
client: setsockopt(c, SO_LINGER, {1, 0}) = 0
client: shutdown(c, SHUT_WR) = 0
expect client: state c == FIN_WAIT2
expect server: state a == CLOSE_WAIT
client: close(c) = 0
expect client: count TIME_WAIT == 0
expect server: count TIME_WAIT == 0
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == none
server: recv(a, 1) = 0
server: send(a, 1) = -1 EPIPE
server: close(a) = 0
client: c2 = socket(inet, stream)
client: setsockopt(c2, SO_REUSEADDR, 1) = 0
client: bind(c2, 10.0.0.1:5000) = 0
client: connect(c2, 10.0.0.2:80) = 0
server: a2 = accept(l)
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == ESTABLISHED

# (b) the peer closes too before our close(): TIME-WAIT is already reached and stays.
client: d = socket(inet, stream)
client: setsockopt(d, SO_REUSEADDR, 1) = 0
client: bind(d, 10.0.0.1:5001) = 0
client: connect(d, 10.0.0.2:80) = 0
server: b = accept(l)
client: shutdown(d, SHUT_WR) = 0
server: recv(b, 1) = 0
server: close(b) = 0
expect client: state 10.0.0.1:5001 -> 10.0.0.2:80 == TIME_WAIT
client: setsockopt(d, SO_LINGER, {1, 0}) = 0
client: close(d) = 0
expect client: state 10.0.0.1:5001 -> 10.0.0.2:80 == TIME_WAIT
# Timestamps were negotiated: the bound reconnect recycles the TIME-WAIT at once.
client: d2 = socket(inet, stream)
client: setsockopt(d2, SO_REUSEADDR, 1) = 0
client: bind(d2, 10.0.0.1:5001) = 0
client: connect(d2, 10.0.0.2:80) = 0
server: b2 = accept(l)
expect client: state 10.0.0.1:5001 -> 10.0.0.2:80 == ESTABLISHED

# (b) again from a client with timestamps off: the TIME-WAIT stays and blocks the 4-tuple.
legacy: e = socket(inet, stream)
legacy: setsockopt(e, SO_REUSEADDR, 1) = 0
legacy: bind(e, 10.0.0.3:5001) = 0
legacy: connect(e, 10.0.0.2:80) = 0
server: f = accept(l)
legacy: shutdown(e, SHUT_WR) = 0
server: recv(f, 1) = 0
server: close(f) = 0
expect legacy: state 10.0.0.3:5001 -> 10.0.0.2:80 == TIME_WAIT
legacy: setsockopt(e, SO_LINGER, {1, 0}) = 0
legacy: close(e) = 0
expect legacy: state 10.0.0.3:5001 -> 10.0.0.2:80 == TIME_WAIT
legacy: e2 = socket(inet, stream)
legacy: setsockopt(e2, SO_REUSEADDR, 1) = 0
legacy: bind(e2, 10.0.0.3:5001) = 0
legacy: connect(e2, 10.0.0.2:80) = -1 EADDRNOTAVAIL
expect legacy: count TIME_WAIT == 1
