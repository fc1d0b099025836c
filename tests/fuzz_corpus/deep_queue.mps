let a = []
let x = a
for i in 0..100000 { let b = []; x.append(b); x = b }
queue q
try { q.put(a) } catch e { print(e.kind) }
