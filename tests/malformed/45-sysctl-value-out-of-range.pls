# Malformed: sysctl value out of range. The first error is below; see the .expected sidecar.
sysctl net.ipv4.tcp_tw_reuse=7
