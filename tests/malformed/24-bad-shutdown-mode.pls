# Malformed: bad shutdown mode. The first error is below; see the .expected sidecar.
a = socket(inet, stream)
shutdown(a, SHUT_BOTH) = 0
