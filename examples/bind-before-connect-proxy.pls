# A proxy that picks its source address by bind() before connect(), to two backends, from a
# 1000-port range. bind(addr, 0) chooses the port at bind time, without knowing the destination,
# and so cannot share a port between backends: the range runs dry after 1000 connections, as
# long as TIME-WAIT keeps the ports (inet_csk_get_port, semantics.md §2.9), with EADDRINUSE.
# IP_BIND_ADDRESS_NO_PORT defers the choice to connect(), which can reuse a port for a different
# backend (4-tuple uniqueness): twice the capacity with two backends (Linux only).
os linux
host proxy_bind0 10.0.0.1
host proxy_noport 10.0.0.3
host backends 10.0.0.11 10.0.0.12
sysctl proxy_bind0 net.ipv4.ip_local_port_range=40000 40999 @linux
sysctl proxy_noport net.ipv4.ip_local_port_range=40000 40999 @linux
workload bind0 {
  client proxy_bind0
  server backends 10.0.0.11:8080
  server backends 10.0.0.12:8080
  source bind0
  source-address 10.0.0.1
  rate 40/s
  duration 40s
  expect failures bind EADDRINUSE > 0
  expect first_failure >= 24s
  expect first_failure <= 26s
}
workload no_port {
  client proxy_noport
  server backends 10.0.0.11:8081
  server backends 10.0.0.12:8081
  source bind-no-port
  source-address 10.0.0.3
  rate 40/s
  duration 40s
  expect failures == 0
}
