# portlab explore: can a second process (another user) take over a Windows server's port? The
# server listens on 0.0.0.0:8081 with SO_EXCLUSIVEADDRUSE; another process binds the specific address
# 10.0.0.2:8081 with SO_REUSEADDR and listens, so that it would receive the server's connections
# (semantics.md §5.1, §5.2; examples/windows-hijack-and-exclusiveaddruse.pls runs the same calls
# once). The property: never two listeners on port 8081.
# Verdict: safe; SO_EXCLUSIVEADDRUSE makes the intruder's bind() fail with WSAEACCES.
#   portlab explore examples/explore-windows-hijack-exclusiveaddruse.pls
# explore-exit: 0   (CTest: `portlab explore` on this script exits 0)
# explore-only   (CTest: not run by `portlab check`: its expectations state the goal, which one
#                sequential run, or another OS, does not meet; that is what explore is for)
os windows
host server 10.0.0.2
v = socket(inet, stream, uid=1000)
setsockopt(v, SO_EXCLUSIVEADDRUSE, 1) = 0
bind(v, 0.0.0.0:8081) = 0
listen(v, 16) = 0

never count LISTEN port 8081 >= 2

process intruder {
  t = socket(inet, stream, uid=1001)
  setsockopt(t, SO_REUSEADDR, 1) = 0
  bind(t, 10.0.0.2:8081)
  listen(t, 16)
}
