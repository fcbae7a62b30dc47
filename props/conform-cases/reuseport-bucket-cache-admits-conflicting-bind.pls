# Linux's bind bucket caches a summary of its owners (tb->fastreuseport, inet_csk_update_fastreuse)
# and inet_csk_get_port trusts it before any conflict check (sk_reuseport_match). s10 binds with
# SO_REUSEPORT (FASTREUSEPORT_STRICT for 0.0.0.0, uid 0); s11 joins without it (cache off);
# listen(s10) passes the re-check and sets FASTREUSEPORT_STRICT again; so s2, with SO_REUSEPORT
# only, binds 127.0.0.1:7002 although s11 holds it without SO_REUSEPORT
# (linux.bind.fast-path.reuseport). Found by the differential soak, seed 10539985514226835962
# (case 1778); agrees on 6.18.44-fc-v669.
host local 127.0.0.1 dev v0
s10 = socket(inet, stream)
setsockopt(s10, SO_REUSEADDR, 1)
setsockopt(s10, SO_REUSEPORT, 1)
bind(s10, 0.0.0.0:7002)
s11 = socket(inet, stream)
setsockopt(s11, SO_REUSEADDR, 1)
bind(s11, 127.0.0.1:7002)
listen(s10)
listen(s11)
s2 = socket(inet, stream)
setsockopt(s2, SO_REUSEPORT, 1)
bind(s2, 127.0.0.1:7002) = 0
# Without the listen() the cache stays off and the owners decide: EADDRINUSE.
t10 = socket(inet, stream)
setsockopt(t10, SO_REUSEADDR, 1)
setsockopt(t10, SO_REUSEPORT, 1)
bind(t10, 0.0.0.0:7003)
t11 = socket(inet, stream)
setsockopt(t11, SO_REUSEADDR, 1)
bind(t11, 127.0.0.1:7003)
t2 = socket(inet, stream)
setsockopt(t2, SO_REUSEPORT, 1)
bind(t2, 127.0.0.1:7003) = -1 EADDRINUSE
# SO_REUSEADDR cleared after bind(): tb->fastreuse is 0 since 6.8 (never set to 1), so the owners
# decide: EADDRINUSE.
u1 = socket(inet, stream)
setsockopt(u1, SO_REUSEADDR, 1)
bind(u1, 127.0.0.1:7004)
setsockopt(u1, SO_REUSEADDR, 0)
u2 = socket(inet, stream)
setsockopt(u2, SO_REUSEADDR, 1)
bind(u2, 127.0.0.1:7004) = -1 EADDRINUSE
# SO_REUSEPORT cleared after bind(): the cache still holds v1 (FASTREUSEPORT_STRICT, same uid
# and address), so v2 binds without a look at v1.
v1 = socket(inet, stream)
setsockopt(v1, SO_REUSEPORT, 1)
bind(v1, 127.0.0.1:7005)
setsockopt(v1, SO_REUSEPORT, 0)
v2 = socket(inet, stream)
setsockopt(v2, SO_REUSEPORT, 1)
bind(v2, 127.0.0.1:7005) = 0
