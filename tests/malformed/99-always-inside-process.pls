# Malformed: a property inside a process block.
process app {
  always count TIME_WAIT == 0
}
