# `**`: right-associative, tighter than unary minus, int ** negative int is a float
print(2 ** 10, 2 ** 0, 0 ** 0, (-2) ** 3, (-1) ** 999999999999)
print(-2 ** 2, 2 ** -1, 2 ** 3 ** 2, 2 ** -1 ** 2, -2 ** -2)
print(2.0 ** 3, 4 ** 0.5, 2 ** 0.5, 10 ** -2, 1.5 ** 2)
print(2 ** 62, (-2) ** 63)
let n = 3
n **= 2
print(n)
let xs = [2]
xs[0] **= 3
print(xs)
print(type(2 ** 2), type(2 ** -2), true ** 2)
fn attempt(f) {
    try { print(f()) } catch err { print(err.kind + ":", err.message) }
}
attempt(fn() { return 2 ** 63 })
attempt(fn() { return 0 ** -1 })
attempt(fn() { return 10.0 ** 400 })
attempt(fn() { return (-8) ** 0.5 })
attempt(fn() { return "a" ** 2 })
