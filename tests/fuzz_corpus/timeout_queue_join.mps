queue q
print(q.join(1e300))
