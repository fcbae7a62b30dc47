# An HTTP/1.0-style client without keep-alive: one new connection per request, the client closes
# first, so every request leaves a TIME-WAIT on the client for its 4-tuple. With one destination
# the ephemeral range runs dry at (ports / TIME-WAIT) connections per second:
# * Linux: 1000 ports / 60 s = 16.7/s (the default 28,232-port range gives 28232 / 60 = 470/s;
#   `portlab simulate examples/http-client-no-keepalive.pls --duration 130s` with the range lines
#   removed shows it, in about two minutes of simulation); connect() then fails with
#   EADDRNOTAVAIL (__inet_hash_connect, semantics.md §2.9).
# * FreeBSD: 2 x net.inet.tcp.msl = 60 s; connect() takes only unused ports (in_pcb_lport_dest),
#   EADDRNOTAVAIL.
# * macOS: TIME-WAIT is 2 x MSL = 30 s, so twice the Linux rate (§4.3).
# * Windows: TcpTimedWaitDelay (120 s here) and a 1000-port dynamic range: 8.3/s; WSAENOBUFS.
os linux,freebsd,macos,windows
host client 10.0.0.1
host server 10.0.0.2
sysctl client net.ipv4.ip_local_port_range=40000 40999 @linux
sysctl client net.ipv4.tcp_tw_reuse=0 @linux
sysctl client net.inet.ip.portrange.first=40000 @freebsd,macos
sysctl client net.inet.ip.portrange.last=40999 @freebsd,macos
sysctl client netsh.dynamicport.tcp.start=40000 @windows
sysctl client netsh.dynamicport.tcp.num=1000 @windows
network latency 200us
workload http {
  client client
  server server 10.0.0.2:80
  source ephemeral
  close client-first
  rate 25/s
  clients 2
  duration 150s
  # Faster than the port space allows on Linux, FreeBSD and Windows (25/s > 16.7/s, 8.3/s):
  # connect() fails from the moment the whole range is in TIME-WAIT (1000 ports / 25/s = 40 s).
  expect failures connect EADDRNOTAVAIL > 0 @linux,freebsd
  expect failures connect WSAENOBUFS > 0 @windows
  expect first_failure >= 39s @linux,freebsd,windows
  expect first_failure <= 41s @linux,freebsd,windows
  expect rate <= 20/s @linux,freebsd
  expect time_wait_peak == 1000 @linux,freebsd,windows
  # macOS's 30 s TIME-WAIT sustains 33/s: no failure, 25/s x 30 s = 750 TIME-WAITs.
  expect failures == 0 @macos
  expect time_wait_peak <= 751 @macos
}
