# Malformed: "} or {" closing a loop.
process app {
  loop 2 {
    c = socket(inet, stream)
  } or {
  }
}
