# Malformed: per-OS result with an @ and no OS name. The first error is below; see the .expected sidecar.
c = socket(inet, stream)
close(c) = 0 @
