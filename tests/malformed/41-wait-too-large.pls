# Malformed: wait too large. The first error is below; see the .expected sidecar.
wait 99999999999999999999s
