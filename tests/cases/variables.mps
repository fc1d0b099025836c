# §4: let declares in the current block, `=` assigns, compound assigns.
let x = 10
x = 20
print(x)
x += 5; print(x)
x -= 3; print(x)
x *= 2; print(x)
x //= 5; print(x)
x %= 5; print(x)
x /= 2; print(x)
let s = "ab"
s += "cd"; s *= 2
print(s)
let xs = [1, 2, 3]
xs[0] = 100
xs[-1] += 1
xs += [4]
print(xs)
let d = {"k": 1}
d["k"] = 2
d["new"] = "v"
d["k"] *= 10
print(d)
let grid = [[0, 0], [0, 0]]
grid[1][0] = 5
print(grid)
# A block has its own scope: an inner `let` shadows, then goes away.
let y = "outer"
if true {
    let y = "inner"
    print(y)
    x = 0
}
print(y, x)
# Lists and dicts are references: both names see the change.
let a = [1]
let b = a
b.push(2)
print(a, a == b)
