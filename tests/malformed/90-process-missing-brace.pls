# Malformed: a process block without its opening brace. The first error is below; see the .expected sidecar.
host client 10.0.0.1
process app on client
  c = socket(inet, stream)
}
