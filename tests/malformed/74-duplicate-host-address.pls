# Two hosts declare the same address: the network could not deliver to it.
host client 10.0.0.1
host server 10.0.0.1
client: s = socket(inet, stream)
