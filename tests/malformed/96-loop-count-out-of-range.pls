# Malformed: a loop count above the limit.
process app {
  loop 5000 {
    c = socket(inet, stream)
  }
}
