# counter.mps — 100 processes each take 10 from a shared counter of 1000.
lock l
l.acquire()
try { l.acquire(timeout=1e19) } catch ee { print(e.kind) }
