let a = []
let x = a
for i in 0..100000 { let b = []; x.append(b); x = b }
print(len(str(a)))
try { json_str(a) } catch e { print(e.kind) }
c.append(c)
try { json_str(c) } catch e { print(e.kind) }
