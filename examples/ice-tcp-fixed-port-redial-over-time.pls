# ICE-TCP over time: an agent redials its peer from a fixed local port (SO_REUSEADDR) once a
# second, closing gracefully first each time, so every redial meets its own TIME-WAIT.
# * Linux with timestamps (host `ts`): the bound connect() recycles the TIME-WAIT at once
#   (tcp_twsk_unique, semantics.md §2.7): no failure at all.
# * Linux without timestamps (host `nots`): connect() fails with EADDRNOTAVAIL for the whole
#   60 s TIME-WAIT, then one redial gets through and the next 60 s fail again: a blocking outage.
# * FreeBSD: EADDRINUSE for 2 x MSL = 60 s (§3.2); macOS: the same for 30 s (§4.3); Windows:
#   WSAEADDRINUSE for TcpTimedWaitDelay = 120 s (§5.2).
os linux,freebsd,macos,windows
host ts 10.0.0.1
host nots 10.0.0.3
host peer 10.0.0.2
sysctl ts net.ipv4.tcp_timestamps=1 @linux
sysctl nots net.ipv4.tcp_timestamps=0 @linux
network latency 1ms
workload redial_ts {
  client ts
  server peer 10.0.0.2:5000
  source fixed 5000
  option SO_REUSEADDR
  close client-first
  rate 1/s
  duration 200s
  expect failures == 0 @linux
  expect failures connect EADDRINUSE > 100 @freebsd,macos
  expect failures connect WSAEADDRINUSE > 100 @windows
  expect blocked_for >= 59s @freebsd
  expect blocked_for <= 61s @freebsd
  expect blocked_for >= 29s @macos
  expect blocked_for <= 31s @macos
  expect blocked_for >= 119s @windows
}
workload redial_no_timestamps {
  client nots
  server peer 10.0.0.2:5001
  source fixed 5000
  option SO_REUSEADDR
  close client-first
  rate 1/s
  duration 200s
  expect failures connect EADDRNOTAVAIL > 100 @linux
  expect blocked_for >= 59s @linux
  expect blocked_for <= 61s @linux
}
