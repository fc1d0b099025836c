queue q
q.put(1)
print(q.get(timeout=1e300))
try { q.get(timeout=-1) } catch e { print(e.kind) }
try { q.get(timeout=float("nan")) } catch e { print(e.kind) }
