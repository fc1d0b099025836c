
shared s = {}
s["b"] = s
print(s.snapshot())
print(s)
