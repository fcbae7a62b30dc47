# Malformed: a workload with nowhere to connect.
workload w {
  rate 10/s
}
