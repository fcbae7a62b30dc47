# Malformed: wait missing unit. The first error is below; see the .expected sidecar.
wait 10
