# Python's keyword forms of the pool methods, and tasks with keyword arguments.
pool p = 2
fn add(a, b=10, c=0) { return a + b + c }
fn pair(a, b) { return [a, b] }
print(p.apply(func=add, args=[1]))
print(p.apply(add, args=[1, 2], kwds={"c": 5}))
print(p.apply(add, 1, 2))
print(p.apply(func=add, kwds={"a": 1, "c": 100}))
print(p.map(func=add, iterable=[1, 2, 3], chunksize=2))
print(p.map(add, [1, 2, 3], 1))
print(p.starmap(func=pair, iterable=[[1, 2], [3, 4]], chunksize=1))
let got = []
let r = p.apply_async(func=add, args=[5], kwds={"b": 1}, callback=fn(v) { got.push(v) })
print(r.get())
let m = p.map_async(func=add, iterable=[1, 2], chunksize=1, callback=fn(v) { got.push(v) })
print(m.get())
let s = p.starmap_async(pair, [[5, 6]], callback=fn(v) { got.push(v) })
print(s.get())
let failed = []
let e = p.apply_async(add, args=["x"], error_callback=fn(err) { failed.push(err.kind) })
e.wait()
p.close()
p.join()
print("callbacks", got, failed)
pool q = 1
try { q.apply(add, 1, args=[2]) } catch e { print(e) }
try { q.apply(add, kwds={1: 2}) } catch e { print(e) }
try { q.apply(add, args=5) } catch e { print(e) }
try { q.apply() } catch e { print(e) }
try { q.apply(add, 1, bogus=2) } catch e { print(e) }
try { q.map(add) } catch e { print(e) }
try { q.map(add, [1], chunksize=1, callback=print) } catch e { print(e) }
try { q.apply(add, kwds={"d": 1}, args=[1]) } catch e { print(e.kind) }
q.close()
q.join()
