# Malformed: sysctl bad port range. The first error is below; see the .expected sidecar.
sysctl net.ipv4.ip_local_port_range=40010 40000
