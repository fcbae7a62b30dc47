# Malformed: socket() takes no socket variable, so it cannot be the call of a call property.
c = socket(inet, stream)
never socket(c) = 3
