# Malformed: an unknown errno in a call property.
c = socket(inet, stream)
never connect(c) = -1 EADDRNOTAVIAL
