# Malformed: one OS named by two result groups. The first error is below; see the .expected sidecar.
c = socket(inet, stream)
close(c) = 0 @linux,macos = -1 EBADF @macos
