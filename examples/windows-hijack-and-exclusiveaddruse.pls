# The Windows port hijack, and how SO_EXCLUSIVEADDRUSE stops it (semantics.md §5.1).
# A server owned by one user (uid 1000) listens on 0.0.0.0:P; another user (uid 1001) then binds
# the same port on the server's specific address with SO_REUSEADDR, to take its connections.
#
# Windows (Server 2003 and later, "enhanced socket security"; §5.1 matrix, rows = second bind):
#   * the victim opted in with SO_REUSEADDR: row "SO_REUSEADDR, Specific" x column
#     "SO_REUSEADDR, Wildcard" is SUCCESS -> the hijack works, and the thief can listen;
#   * the victim did not opt in: the same row x column "none, Wildcard" is CHECK -> WSAEACCES,
#     because another user created the first socket; the same user succeeds (section 2b);
#   * the victim set SO_EXCLUSIVEADDRUSE: column "SO_EXCLUSIVEADDRUSE, Wildcard" is DENIED
#     -> WSAEACCES, for every kind of second bind but a plain wildcard (INUSE).
# windows-xp (before Server 2003, §5.1): the second socket's SO_REUSEADDR alone sufficed, so even
#   a victim that did not opt in is hijacked; only SO_EXCLUSIVEADDRUSE protects it.
# Linux (§2.3): SO_REUSEADDR never shares with a LISTEN socket -> EADDRINUSE in every case.
# FreeBSD / macOS (§3.1 (a), §4.1): the cross-uid guard refuses a non-root bind whose best-fit
#   PCB belongs to another uid -> EADDRINUSE.
# illumos (§6): SO_REUSEADDR on the new socket lets it bind a specific address under a wildcard
#   listener (no uid check is described), unless the listener set TCP_EXCLBIND.
# SO_EXCLUSIVEADDRUSE exists only on Windows, TCP_EXCLBIND only on illumos: elsewhere
# setsockopt answers ENOPROTOOPT.
os windows,windows-xp,linux,freebsd,macos,illumos
host server 10.0.0.2

# 1. The victim opted in with SO_REUSEADDR.
v1 = socket(inet, stream, uid=1000)
setsockopt(v1, SO_REUSEADDR, 1) = 0
bind(v1, 0.0.0.0:8081) = 0
listen(v1, 16) = 0
t1 = socket(inet, stream, uid=1001)
setsockopt(t1, SO_REUSEADDR, 1) = 0
bind(t1, 10.0.0.2:8081) = 0 @windows,windows-xp,illumos = -1 EADDRINUSE
listen(t1, 16) = 0 @windows,windows-xp,illumos

# 2. The victim did not opt in (no options).
v2 = socket(inet, stream, uid=1000)
bind(v2, 0.0.0.0:8082) = 0
listen(v2, 16) = 0
t2 = socket(inet, stream, uid=1001)
setsockopt(t2, SO_REUSEADDR, 1) = 0
bind(t2, 10.0.0.2:8082) = -1 WSAEACCES @windows = 0 @windows-xp,illumos = -1 EADDRINUSE

# 2b. The same, but the second socket belongs to the same user: Windows' CHECK passes, and so
#     does the BSD guard (same uid); Linux still refuses (the first socket listens).
v4 = socket(inet, stream, uid=1000)
bind(v4, 0.0.0.0:8084) = 0
listen(v4, 16) = 0
s4 = socket(inet, stream, uid=1000)
setsockopt(s4, SO_REUSEADDR, 1) = 0
bind(s4, 10.0.0.2:8084) = 0 @windows,windows-xp,freebsd,macos,illumos = -1 EADDRINUSE

# 3. The victim set SO_EXCLUSIVEADDRUSE (Windows) / TCP_EXCLBIND (illumos).
v3 = socket(inet, stream, uid=1000)
setsockopt(v3, SO_EXCLUSIVEADDRUSE, 1) = 0 @windows,windows-xp = -1 ENOPROTOOPT
setsockopt(v3, TCP_EXCLBIND, 1) = 0 @illumos = -1 WSAENOPROTOOPT @windows,windows-xp = -1 ENOPROTOOPT
bind(v3, 0.0.0.0:8083) = 0
listen(v3, 16) = 0
t3 = socket(inet, stream, uid=1001)
setsockopt(t3, SO_REUSEADDR, 1) = 0
bind(t3, 10.0.0.2:8083) = -1 WSAEACCES @windows,windows-xp = -1 EADDRINUSE
t4 = socket(inet, stream, uid=1001)
setsockopt(t4, SO_REUSEADDR, 1) = 0
bind(t4, 0.0.0.0:8083) = -1 WSAEACCES @windows,windows-xp = -1 EADDRINUSE
# A plain second wildcard: INUSE in the Vista matrix. The XP-era profile answers WSAEACCES for
# any bind against an SO_EXCLUSIVEADDRUSE socket (rule windows-xp.bind.exclusive).
t5 = socket(inet, stream, uid=1001)
bind(t5, 0.0.0.0:8083) = -1 WSAEADDRINUSE @windows = -1 WSAEACCES @windows-xp = -1 EADDRINUSE
