# Malformed: the same setting twice.
workload w {
  server local 127.0.0.1:80
  rate 10/s
  rate 20/s
}
