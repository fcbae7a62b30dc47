# Malformed: a process inside a process.
process a {
  process b {
  }
}
