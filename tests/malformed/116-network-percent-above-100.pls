# Malformed: a probability above 100%.
network syn-loss 150%
