# Malformed: unknown statement. The first error is below; see the .expected sidecar.
frobnicate the socket
