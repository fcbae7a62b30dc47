# Malformed: the os directive after a step. The first error is below; see the .expected sidecar.
c = socket(inet, stream)
os linux,freebsd
