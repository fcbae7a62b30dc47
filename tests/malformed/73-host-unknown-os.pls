# Malformed: a host with an unknown os=. See the .expected sidecar.
host server 10.0.0.2 os=windoze
server: c = socket(inet, stream)
