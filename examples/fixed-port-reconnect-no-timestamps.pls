# The seed case (ICE-TCP) without TCP timestamps: reconnect from a fixed local port to the same
# remote endpoint right after a graceful close in which we closed first, so our side holds
# TIME-WAIT on the 4-tuple 10.0.0.1:5000 -> 10.0.0.2:80.
# Per OS, what a deployment should know (semantics.md §1 "connect() when exact 4-tuple is in TW",
# §7.3 row "we did"): on every OS the SO_REUSEADDR bind succeeds but the reconnect fails for as
# long as the TIME-WAIT lives; only the errno and the duration differ.
# * Linux: connect() EADDRNOTAVAIL for 60 s, not tunable (details below).
# * FreeBSD: connect() EADDRINUSE (no TIME-WAIT recycling on the active side, §3.2) for
#   2 x net.inet.tcp.msl = 60 s (§3.4; the peer is another host, so nolocaltimewait does not apply).
# * macOS: connect() EADDRINUSE (§4.2) for 2 x net.inet.tcp.msl; the default is 30 s (§4.3), set
#   to 60 s here (msl=30000) so that one timeline fits every OS.
# * Windows: connect() WSAEADDRINUSE + event 4227 (§5.2) for TcpTimedWaitDelay; the default is
#   120 s in the profile (the documents say 120 or 240 s, §5.2), set to 60 s here. Whether the
#   bind may overlap the TIME-WAIT is not documented; the profile assumes it may
#   (windows.bind.ignores-connections, ASSUMED).
# * illumos: the bind succeeds (§6: a TIME-WAIT never conflicts with a SO_REUSEADDR bind);
#   connect() over a TIME-WAIT was not read (§1 "not established"): the profile assumes EADDRINUSE
#   (illumos.connect.bound.tuple-in-use, ASSUMED) for tcp_time_wait_interval = 60 s (§6).
# Timestamps matter only on Linux: with them, Linux recycles the TIME-WAIT at once
# (fixed-port-reconnect-graceful.pls); the other OSes fail either way.
# Linux: SO_REUSEADDR on both the old and the new socket lets the new socket bind the port
# (bind-conflict predicate, inet_csk_bind_conflict; semantics.md §2.3: a TIME-WAIT keeps the closed
# socket's SO_REUSEADDR). But connect() from a bound socket only checks the exact 4-tuple
# (__inet_check_established with twp == NULL), and tcp_twsk_unique() recycles the TIME-WAIT only if
# it recorded a peer timestamp (tw_ts_recent_stamp != 0). With net.ipv4.tcp_timestamps=0 on the
# client no timestamp was negotiated, so connect() fails with EADDRNOTAVAIL whatever
# net.ipv4.tcp_tw_reuse says (that knob governs autobind connect() only), for as long as the
# TIME-WAIT lives: TCP_TIMEWAIT_LEN = 60 s, not tunable (semantics.md §2.7, §2.11, §7.3, §8).
# Compare fixed-port-reconnect-graceful.pls (timestamps on: immediate success).
host client 10.0.0.1
host server 10.0.0.2
# Timestamps off for the client on every OS.
sysctl client net.ipv4.tcp_timestamps=0 @linux
sysctl client net.inet.tcp.rfc1323=0 @freebsd,macos
sysctl client Tcpip.Parameters.Tcp1323Opts=1 @windows
sysctl client tcp_tstamp_if_wscale=0 @illumos
sysctl client net.ipv4.tcp_tw_reuse=1 @linux
# A 60 s TIME-WAIT everywhere (Linux, FreeBSD and illumos have it by default).
sysctl net.inet.tcp.msl=30000 @macos
sysctl Tcpip.Parameters.TcpTimedWaitDelay=60 @windows
server: l = socket(inet, stream)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0
client: c = socket(inet, stream)
client: setsockopt(c, SO_REUSEADDR, 1) = 0
client: bind(c, 10.0.0.1:5000) = 0
client: connect(c, 10.0.0.2:80) = 0
server: a = accept(l)
# We close first (FIN-WAIT-2), then the server closes (our side enters TIME-WAIT).
client: close(c) = 0
server: close(a) = 0
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == TIME_WAIT
expect server: count TIME_WAIT == 0
# Immediately: the bind succeeds (both sockets have SO_REUSEADDR), the connect does not.
client: c2 = socket(inet, stream)
client: setsockopt(c2, SO_REUSEADDR, 1) = 0
# windows: assumed, see windows.bind.ignores-connections (§5.1: not established).
client: bind(c2, 10.0.0.1:5000) = 0
# freebsd §3.2, macos §4.2, windows §5.2;
# illumos: assumed, see illumos.connect.bound.tuple-in-use (§1: not established).
client: connect(c2, 10.0.0.2:80) = -1 EADDRNOTAVAIL @linux = -1 EADDRINUSE @freebsd,macos,illumos = -1 WSAEADDRINUSE @windows
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == TIME_WAIT
client: close(c2) = 0
# 59 s after the close the TIME-WAIT is still there and still blocks the 4-tuple.
wait 59s
client: c3 = socket(inet, stream)
client: setsockopt(c3, SO_REUSEADDR, 1) = 0
# windows: assumed, see windows.bind.ignores-connections.
client: bind(c3, 10.0.0.1:5000) = 0
client: connect(c3, 10.0.0.2:80) = -1 EADDRNOTAVAIL @linux = -1 EADDRINUSE @freebsd,macos,illumos = -1 WSAEADDRINUSE @windows
expect client: count TIME_WAIT == 1
client: close(c3) = 0
# Past 60 s the TIME-WAIT has expired and the same reconnect succeeds. The wait goes 5 s past the
# deadline because a real kernel's 60 s timer fires late by up to one timer-wheel granule
# (kernel/time/timer.c calc_wheel_index: 2.05 s at HZ=250, 4.1 s at HZ=1000); the model expires
# it at exactly 60 s (docs/semantics/README.md, "TIME-WAIT expiry"). `portlab conform
# --allow-slow` runs this file on the kernel.
wait 6s
expect client: count TIME_WAIT == 0
client: c4 = socket(inet, stream)
client: setsockopt(c4, SO_REUSEADDR, 1) = 0
client: bind(c4, 10.0.0.1:5000) = 0
client: connect(c4, 10.0.0.2:80) = 0
server: a4 = accept(l)
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == ESTABLISHED
expect server: state 10.0.0.2:80 -> 10.0.0.1:5000 == ESTABLISHED
