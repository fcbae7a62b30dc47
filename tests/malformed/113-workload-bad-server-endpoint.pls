# Malformed: the server endpoint has no port.
host server 10.0.0.2
workload w {
  server server 10.0.0.2
}
