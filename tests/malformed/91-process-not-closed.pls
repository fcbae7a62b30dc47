# Malformed: a process block that is never closed.
process app {
  c = socket(inet, stream)
