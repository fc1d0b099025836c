event e
e.set()
print(e.wait(9223372036854775807))
