# Malformed: unknown sysctl. The first error is below; see the .expected sidecar.
sysctl net.ipv4.tcp_tw_reuses=1
