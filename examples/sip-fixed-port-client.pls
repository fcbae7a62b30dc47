# A SIP user agent that must use source port 5060 for every TCP connection to its registrar
# (e.g. for NAT pinholes), reconnecting every 2 seconds. Who closes decides everything:
# * `ua_server_closes`: the registrar closes first, so the TIME-WAIT sits on the registrar's side
#   (semantics.md §7.3 row "peer did") and the agent's next bind()+connect() from 5060 works on
#   every OS (a new SYN reopens the registrar's TIME-WAIT, RFC 6191).
# * `ua_client_closes`: the agent closes first and holds TIME-WAIT on 5060 itself; only Linux with
#   timestamps recycles it; FreeBSD, macOS and Windows refuse until it expires.
os linux,freebsd,macos,windows
host ua1 10.0.0.1
host ua2 10.0.0.3
host registrar 10.0.0.2
network latency 2ms
workload ua_server_closes {
  client ua1
  server registrar 10.0.0.2:5060
  source fixed 5060
  option SO_REUSEADDR
  close server-first
  rate 0.5/s
  duration 300s
  expect failures == 0
  expect successes >= 149
}
workload ua_client_closes {
  client ua2
  server registrar 10.0.0.2:5061
  source fixed 5060
  option SO_REUSEADDR
  close client-first
  rate 0.5/s
  duration 300s
  expect failures == 0 @linux
  expect failures > 0 @freebsd,macos,windows
}
