# Malformed: wrong arity. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
bind(a) = 0
