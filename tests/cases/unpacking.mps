# Unpacking: let a, b = …, a, b = b, a, for k, v in …, enumerate, zip
let a, b = [1, 2]
print(a, b)
a, b = b, a
print(a, b)
let x, y, z = "xyz"
print(x, y, z)
let p, q = 1, 2
print(p, q)
let one, two = 0..2
print(one, two)
let t = 1, 2, 3
print(t)
let xs = [0, 0, 0]
let box = {"v": 0}
xs[0], xs[2], box["v"] = 7, 8, 9
print(xs, box)
let d = {"a": 1, "b": 2}
for k, v in d.items() { print(k, v) }
for i, c in enumerate("hey") { print(i, c) }
for i, c in enumerate(["a", "b"], start=1) { print(i, c) }
for i, c in enumerate(["a", "b"], 10) { print(i, c) }
for n, s, f in zip([1, 2, 3], "ab", 10..20) { print(n, s, f) }
print(enumerate(0..3), zip([1, 2], [3, 4]), zip(), zip([1], []))
print(enumerate({"k": 1}), zip({"a": 1, "b": 2}, "xy"))
for pair in zip([1], [2]) { print(pair) }
fn swap(pair) {
    let l, r = pair
    return [r, l]
}
print(swap([1, 2]))
for bad in [[1, 2, 3], [1], 5] {
    try {
        let u, v = bad
        print(u, v)
    } catch e { print(e.kind + ":", e.message) }
}
try { for k, v in [[1, 2], [3]] { print(k, v) } } catch e { print(e.kind + ":", e.message) }
