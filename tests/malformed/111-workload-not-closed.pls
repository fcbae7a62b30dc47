# Malformed: the workload block never ends.
host server 10.0.0.2
workload w {
  server server 10.0.0.2:80
