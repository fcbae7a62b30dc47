# Cross-stack: one client redials from a fixed port (bound, SO_REUSEADDR) after it closed first,
# towards peers running different OSes. Whether a Linux client may recycle its own TIME-WAIT
# depends on the PEER: the bound connect() reuses the TIME-WAIT only if the old connection
# recorded a peer timestamp (tcp_twsk_unique with twp == NULL; semantics.md §2.7, §1 correction 1,
# §7.3). Linux and FreeBSD peers negotiate timestamps (tcp_timestamps=1, net.inet.tcp.rfc1323=1);
# the Windows profile does not by default (Tcpip.Parameters.Tcp1323Opts: the current Windows
# default is not established, §10 — the profile chooses "no timestamps"), unless the knob turns
# them on (Tcp1323Opts=3, as documented for 2000/2003).
# The peers keep their OS in every run (`host ... os=`); the client runs the OS being checked.
# On FreeBSD, macOS and illumos (§3.2, §4.2, §6) and Windows (§5.2) the client never recycles a
# TIME-WAIT on connect(): EADDRINUSE / WSAEADDRINUSE whatever the peer, until its own TIME-WAIT
# ends (Linux, FreeBSD, illumos 60 s; macOS 30 s; Windows 120 s).
os linux,freebsd,macos,windows,illumos
host client 10.0.0.1
host win 10.0.0.2 os=windows
host bsd 10.0.0.3 os=freebsd
host lnx 10.0.0.4 os=linux
host win3 10.0.0.5 os=windows
sysctl win3 Tcpip.Parameters.Tcp1323Opts=3

win: lw = socket(inet, stream)
win: bind(lw, 0.0.0.0:80) = 0
win: listen(lw, 16) = 0
bsd: lb = socket(inet, stream)
bsd: bind(lb, 0.0.0.0:80) = 0
bsd: listen(lb, 16) = 0
lnx: ll = socket(inet, stream)
lnx: bind(ll, 0.0.0.0:80) = 0
lnx: listen(ll, 16) = 0
win3: lt = socket(inet, stream)
win3: bind(lt, 0.0.0.0:80) = 0
win3: listen(lt, 16) = 0

# Connection #1 to each peer from its own fixed port; the client closes first.
client: cw = socket(inet, stream)
client: setsockopt(cw, SO_REUSEADDR, 1) = 0
client: bind(cw, 10.0.0.1:5001) = 0
client: connect(cw, 10.0.0.2:80) = 0
win: aw = accept(lw)
client: close(cw) = 0
win: close(aw) = 0
client: cb = socket(inet, stream)
client: setsockopt(cb, SO_REUSEADDR, 1) = 0
client: bind(cb, 10.0.0.1:5002) = 0
client: connect(cb, 10.0.0.3:80) = 0
bsd: ab = accept(lb)
client: close(cb) = 0
bsd: close(ab) = 0
client: cl = socket(inet, stream)
client: setsockopt(cl, SO_REUSEADDR, 1) = 0
client: bind(cl, 10.0.0.1:5003) = 0
client: connect(cl, 10.0.0.4:80) = 0
lnx: al = accept(ll)
client: close(cl) = 0
lnx: close(al) = 0
client: ct = socket(inet, stream)
client: setsockopt(ct, SO_REUSEADDR, 1) = 0
client: bind(ct, 10.0.0.1:5004) = 0
client: connect(ct, 10.0.0.5:80) = 0
win3: at = accept(lt)
client: close(ct) = 0
win3: close(at) = 0
expect client: count TIME_WAIT == 4

# The redial, at once.
client: rw = socket(inet, stream)
client: setsockopt(rw, SO_REUSEADDR, 1) = 0
client: bind(rw, 10.0.0.1:5001) = 0
client: connect(rw, 10.0.0.2:80) = -1 EADDRINUSE @freebsd,macos,illumos = -1 WSAEADDRINUSE @windows,windows-xp = -1 EADDRNOTAVAIL
client: rb = socket(inet, stream)
client: setsockopt(rb, SO_REUSEADDR, 1) = 0
client: bind(rb, 10.0.0.1:5002) = 0
client: connect(rb, 10.0.0.3:80) = -1 EADDRINUSE @freebsd,macos,illumos = -1 WSAEADDRINUSE @windows,windows-xp = 0
client: rl = socket(inet, stream)
client: setsockopt(rl, SO_REUSEADDR, 1) = 0
client: bind(rl, 10.0.0.1:5003) = 0
client: connect(rl, 10.0.0.4:80) = -1 EADDRINUSE @freebsd,macos,illumos = -1 WSAEADDRINUSE @windows,windows-xp = 0
client: rt = socket(inet, stream)
client: setsockopt(rt, SO_REUSEADDR, 1) = 0
client: bind(rt, 10.0.0.1:5004) = 0
client: connect(rt, 10.0.0.5:80) = -1 EADDRINUSE @freebsd,macos,illumos = -1 WSAEADDRINUSE @windows,windows-xp = 0
# Linux: the TIME-WAIT towards Windows is still there; the others were replaced.
expect client: state 10.0.0.1:5001 -> 10.0.0.2:80 == TIME_WAIT
expect client: count TIME_WAIT == 1 @linux
expect client: count TIME_WAIT == 4 @freebsd,macos,windows,windows-xp,illumos

# Towards the Windows peer, the client waits out its own TIME-WAIT (Linux 60 s).
client: close(rw) = 0
wait 61s
client: sw = socket(inet, stream)
client: setsockopt(sw, SO_REUSEADDR, 1) = 0
client: bind(sw, 10.0.0.1:5001) = 0
client: connect(sw, 10.0.0.2:80) = -1 WSAEADDRINUSE @windows,windows-xp = 0
