# Fixed: the SYN retransmission timer doubled without Linux's TCP_RTO_MAX (120 s) cap, so with
# tcp_syn_retries >= 34 the RTO overflowed the 64-bit nanosecond Duration (UBSan "signed integer
# overflow" in Host::Impl::advance). It is capped now; connect() ends with ETIMEDOUT.
# The server's SYN-ACK has no route back to the client's non-local (IP_FREEBIND) address.
host client 10.0.0.1
host server 10.0.0.2
sysctl client net.ipv4.tcp_syn_retries=127
server: l = socket(inet, stream)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0
client: c = socket(inet, stream)
client: setsockopt(c, IP_FREEBIND, 1) = 0
client: bind(c, 10.0.0.77:5000) = 0
client: connect(c, 10.0.0.2:80)
client: d = socket(inet, stream)
client: close(d) = 0
