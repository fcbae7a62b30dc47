# Malformed: a call property names the call and its socket only, not its other arguments.
c = socket(inet, stream)
never connect(c, 10.0.0.2:80) = -1 EADDRNOTAVAIL
