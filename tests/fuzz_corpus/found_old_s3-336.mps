lock l
l.acquire()
try { l.acquire(timeout=1e19) } catch e { print() }
