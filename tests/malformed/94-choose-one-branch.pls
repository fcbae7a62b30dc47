# Malformed: a choose with a single branch.
process app {
  choose {
    c = socket(inet, stream)
  }
}
