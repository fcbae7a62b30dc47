# Malformed: a rate must be a number per second.
workload w {
  server local 127.0.0.1:80
  rate fast
}
