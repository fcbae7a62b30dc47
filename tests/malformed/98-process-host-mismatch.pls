# Malformed: a step of a process on one host prefixed with another host.
host client 10.0.0.1
host server 10.0.0.2
process app on client {
  server: c = socket(inet, stream)
}
