# Malformed: host before expect. The first error is below; see the .expected sidecar.
host client 10.0.0.1
host server 10.0.0.2
client: expect count TIME_WAIT == 0
