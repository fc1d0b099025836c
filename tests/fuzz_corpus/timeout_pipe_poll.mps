let p = pipe()
p[1].send(1)
print(p[0].poll(1e300))
