# Malformed: a closing brace with no open block.
c = socket(inet, stream)
}
