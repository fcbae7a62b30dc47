# Malformed: a misspelt workload setting.
host client 10.0.0.1
host server 10.0.0.2
workload w {
  server server 10.0.0.2:80
  rat 10/s
}
