# getsockname() keeps the port after a refused autobind connect()
# Replay: portlab conform FILE (issue #6; all steps agreed with 6.18.44-fc-v669).
host local 127.0.0.1
x = socket(inet, stream)
connect(x, 127.0.0.1:7999)
px = port(x)
y = socket(inet, stream, nonblock)
connect(y, 127.0.0.1:7998)
py = port(y)
connect(y, 127.0.0.1:7998)
py2 = port(y)
