sem s = 1
print(s.acquire(timeout=1e300))
sem z = 0
print(z.acquire(timeout=0.01))
