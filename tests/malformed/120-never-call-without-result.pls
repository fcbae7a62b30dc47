# Malformed: a call property with no result to forbid.
c = socket(inet, stream)
never connect(c)
