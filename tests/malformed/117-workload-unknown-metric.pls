# Malformed: an expectation about a metric that does not exist.
workload w {
  server local 127.0.0.1:80
  expect throughput > 5
}
