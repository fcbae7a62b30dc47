# socket-layer SS_* state: connect()/listen()/shutdown() after asynchronous refusal or success
# Replay: portlab conform FILE (issue #6; all steps agreed with 6.18.44-fc-v669).
host local 127.0.0.1
l = socket(inet, stream)
bind(l, 127.0.0.1:7000)
listen(l)
# refused asynchronously; the next connect() collects the error, the one after starts anew
a = socket(inet, stream, nonblock)
bind(a, 127.0.0.1:7101)
connect(a, 127.0.0.1:7999)
listen(a)
connect(a, 127.0.0.1:7999)
connect(a, 127.0.0.1:7000)
connect(a, 127.0.0.1:7000)
connect(a, 127.0.0.1:7000)
# the pending error taken by recv(): the next connect() says ECONNABORTED
b = socket(inet, stream, nonblock)
connect(b, 127.0.0.1:7998)
recv(b, 10)
connect(b, 127.0.0.1:7998)
recv(b, 10)
# shutdown() while still SS_CONNECTING in CLOSE: SS_DISCONNECTING
c = socket(inet, stream, nonblock)
connect(c, 127.0.0.1:7997)
shutdown(c, SHUT_WR)
connect(c, 127.0.0.1:7000)
listen(c)
# async success, then shutdown(): SS_CONNECTED
d = socket(inet, stream, nonblock)
connect(d, 127.0.0.1:7000)
shutdown(d, SHUT_WR)
connect(d, 127.0.0.1:7000)
# async success whose connection went to TIME-WAIT (full socket CLOSE): ECONNABORTED
e = socket(inet, stream, nonblock)
bind(e, 127.0.0.1:7102)
connect(e, 127.0.0.1:7000)
x = accept(l)
y = accept(l)
z = accept(l)
close(z)
recv(e, 10)
close(e)
