# Malformed: wait unknown unit. The first error is below; see the .expected sidecar.
wait 10d
