# A server restarted every 30 s (1 s down) while clients keep connecting, each retrying with
# exponential backoff. The server closes its connections first, so it holds TIME-WAITs on its
# own port when it restarts:
# * `plain` rebinds without SO_REUSEADDR: Linux refuses the bind with EADDRINUSE while any
#   TIME-WAIT on port 80 lives (inet_csk_bind_conflict, semantics.md §2.3), so the server stays
#   down until its last TIME-WAIT expires, and clients see ECONNREFUSED meanwhile.
# * `reuse` sets SO_REUSEADDR and comes back after its 1 s of downtime.
os linux
host client 10.0.0.1
host server_plain 10.0.0.2
host server_reuse 10.0.0.4
network latency 500us
workload plain {
  client client
  server server_plain 10.0.0.2:80
  close server-first
  rate 20/s
  clients 2
  duration 120s
  retry backoff 50ms max 2s
  restart every 30s down 1s
  expect failures connect ECONNREFUSED > 0
}
workload reuse {
  client client
  server server_reuse 10.0.0.4:80
  server-option SO_REUSEADDR
  close server-first
  rate 20/s
  clients 2
  duration 120s
  retry backoff 50ms max 2s
  restart every 30s down 1s
  expect failures connect ECONNREFUSED > 0
  expect blocked_for <= 2s
}
