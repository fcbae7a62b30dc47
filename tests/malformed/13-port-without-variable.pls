# Malformed: port without variable. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
port(a)
