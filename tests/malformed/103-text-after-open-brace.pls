# Malformed: a step on the line of the opening brace.
process app { c = socket(inet, stream)
}
