# Malformed: wait not whole nanoseconds. The first error is below; see the .expected sidecar.
wait 1.5ns
