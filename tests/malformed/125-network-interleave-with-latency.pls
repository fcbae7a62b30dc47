# Malformed: network interleave holds segments until they are delivered; latency makes no sense with it.
network latency 1ms interleave
