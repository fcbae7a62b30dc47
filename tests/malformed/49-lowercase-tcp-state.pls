# Malformed: lowercase tcp state. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
expect state a == time_wait
