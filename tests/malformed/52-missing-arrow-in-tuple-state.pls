# Malformed: missing arrow in tuple state. The first error is below; see the .expected sidecar.
expect state 127.0.0.1:5000 127.0.0.1:80 == ESTABLISHED
