# Malformed: deliver names a flow SRC -> DST.
network interleave
deliver 10.0.0.1:5000 10.0.0.2:80
