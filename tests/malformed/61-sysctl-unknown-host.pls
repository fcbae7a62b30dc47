# Malformed: sysctl unknown host. The first error is below; see the .expected sidecar.
host client 10.0.0.1
host server 10.0.0.2
sysctl nohost net.ipv4.tcp_tw_reuse=1
