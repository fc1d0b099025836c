let a = []
a.append(a)
print(sorted([a, [a]]))
