# A port's bind bucket reopens to connect() when its last bind()/listen() owner leaves, although a
# connect()-made TIME-WAIT remains in it (Profile::bind_bucket_resets_on_release). Found by the
# differential test, seed 31; agrees on 6.18.44-fc-v669.
host local 127.0.0.1 dev v0
sysctl net.ipv4.ip_local_port_range=40000 40001
sysctl net.ipv4.ip_local_port_range=40000 40000
s0 = socket(inet, stream)
setsockopt(s0, SO_REUSEADDR, 1)
bind(s0, 0.0.0.0:7000)
listen(s0)
s1 = socket(inet, stream)
setsockopt(s1, SO_REUSEADDR, 1)
connect(s1, 127.0.0.1:7000)
a2 = accept(s0)
close(s1)
close(a2)
sysctl net.ipv4.ip_autobind_reuse=1
s4 = socket(inet, stream)
bind(s4, 0.0.0.0:7000)
listen(s4)
s5 = socket(inet, stream)
setsockopt(s5, SO_REUSEADDR, 1)
bind(s5, 127.0.0.1:7001)
connect(s5, 127.0.0.1:7000)
a6 = accept(s4)
setsockopt(s5, SO_LINGER, {1, 0})
close(s5)
close(a6)
s7 = socket(inet, stream)
setsockopt(s7, SO_REUSEADDR, 1)
bind(s7, [::]:7000)
listen(s7)
close(s7)
connect(s4, 127.0.0.2:7000)
