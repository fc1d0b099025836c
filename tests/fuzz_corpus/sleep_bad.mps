try { sleep(-1) } catch e { print(e.kind) }
try { sleep(float("nan")) } catch e { print(e.kind) }
