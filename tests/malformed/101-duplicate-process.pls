# Malformed: two processes with one name.
process app {
}
process app {
}
