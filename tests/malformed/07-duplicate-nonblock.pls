# Malformed: duplicate nonblock. The first error is below; see the .expected sidecar.
a = socket(inet, stream, nonblock, nonblock)
