# Malformed: the model retransmits only SYNs, so only SYNs may be lost.
network latency 1ms loss 1%
