# Slices of lists and strings, as in Python
let xs = [0, 1, 2, 3, 4, 5]
let n = 3
print(xs[1:], xs[:-1], xs[::2], xs[::-1], xs[0:n], xs[n:], xs[:])
print(xs[-2:], xs[-100:2], xs[4:100], xs[4:2], xs[1:5:2], xs[5:1:-2], xs[::-2], xs[-1:-4:-1])
print(xs[nil:nil:nil], xs[100:], xs[:-100], xs[2:-2])
let s = "héllo wörld"
print(s[::-1], s[:5], s[6:], s[::2], s[-5:], s[1:1] == "")
let ys = xs[1:3]
ys[0] = 99
print(xs, ys)
print((0..10)[2:5], (0..10)[::-3])
print([[1, 2], [3, 4]][1][::-1])
print("{xs[1:3]}|{s[:2]}")
try { print(xs[::0]) } catch e { print(e.kind + ":", e.message) }
try { print(xs["a":]) } catch e { print(e.kind + ":", e.message) }
try { print(5[1:]) } catch e { print(e.kind + ":", e.message) }
