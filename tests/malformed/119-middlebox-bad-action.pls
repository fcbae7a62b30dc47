# Malformed: a middlebox can drop, reset or delay.
middlebox block to 10.0.0.2:80
