# exit: 3
lock l
l.acquire()
l.acquire()
