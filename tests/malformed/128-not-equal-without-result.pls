# Malformed: != with nothing after it.
c = socket(inet, stream)
close(c) !=
