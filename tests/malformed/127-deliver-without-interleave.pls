# Malformed: deliver moves a held segment; without network interleave nothing is held.
host a 10.0.0.1
host b 10.0.0.2
deliver 10.0.0.1:5000 -> 10.0.0.2:80
