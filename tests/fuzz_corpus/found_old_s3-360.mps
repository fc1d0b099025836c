(spawn { }).join(1e300)
print("joined")