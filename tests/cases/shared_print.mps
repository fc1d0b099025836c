# A shared object prints as its plain value: print, str, interpolation, lists.
shared d = {"count": 100}
print(d)
print(str(d))
print("d is {d}")
d["count"] -= 1
print([d, 1])
shared n = 0
n.value += 5
print(n, str(n) == "5")
shared s = "text"
print(s, [s])
shared xs = [1, 2]
xs.push(3)
print(xs, len(xs))
let c = spawn { d["count"] = 7; print("child sees", d) }
c.join()
print("main sees", d)
