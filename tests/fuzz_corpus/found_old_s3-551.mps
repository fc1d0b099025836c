queue q
q.put(2, timeout=1e300)
print(nil, true, false,0..=5, [], {}, [[]], {"n": {"m": [1.5]}})
print(q.get())
