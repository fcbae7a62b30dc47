# Malformed: sysctl missing equals. The first error is below; see the .expected sidecar.
sysctl net.ipv4.tcp_tw_reuse 1
