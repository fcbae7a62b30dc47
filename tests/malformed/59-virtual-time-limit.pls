# Malformed: virtual time limit. The first error is below; see the .expected sidecar.
wait 10000m
wait 100m
