# Malformed: loop at the top level.
loop 3 {
  c = socket(inet, stream)
}
