queue q
q.put(2, timeout=1e300)
print(q.g((((((((((((((((((((et())
))))))))))))))))))))