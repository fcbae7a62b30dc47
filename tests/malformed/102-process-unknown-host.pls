# Malformed: a process on a host that is not declared.
host client 10.0.0.1
process app on cliant {
}
