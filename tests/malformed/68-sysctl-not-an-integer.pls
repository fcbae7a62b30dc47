# Malformed: sysctl not an integer. The first error is below; see the .expected sidecar.
sysctl net.ipv4.tcp_timestamps=yes
