# Malformed: drop loses a held SYN; without network interleave nothing is held.
host a 10.0.0.1
host b 10.0.0.2
drop 10.0.0.1:5000 -> 10.0.0.2:80
