# The kernel's clock runs in real time: the accept() that blocks for --block-timeout (3 s) on the
# kernel side lets tcp_tw_reuse_delay (1 s) pass there, so the last connect() recycles the
# TIME-WAIT (tcp_twsk_unique, tcp_tw_reuse=2 on loopback). conform moves the model's clock with
# the wall clock, so the model recycles it too (before: model EADDRNOTAVAIL, kernel 0). Found by
# the differential soak, seed 10539985514226835962; agrees on 6.18.44-fc-v669.
host local 127.0.0.1 dev v0
sysctl net.ipv4.ip_local_port_range=40000 40000
l = socket(inet, stream)
bind(l, 127.0.0.1:7000)
listen(l)
c = socket(inet, stream)
connect(c, 127.0.0.1:7000)
a = accept(l)
close(c)
close(a)
accept(l)
c2 = socket(inet, stream)
connect(c2, 127.0.0.1:7000)
