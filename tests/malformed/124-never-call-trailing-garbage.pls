# Malformed: text after the result of a call property.
c = socket(inet, stream)
never connect(c) = -1 EADDRNOTAVAIL or worse
