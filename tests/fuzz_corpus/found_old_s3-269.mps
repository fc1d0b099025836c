let a = []
a.append(a)
let b = []
b.append(b)

print(a == b, a == a)
