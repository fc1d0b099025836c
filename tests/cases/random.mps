# §9: rand() is in [0, 1), rand_int(a, b) in [a, b], rand_float(a, b) in [a, b).
let ok = true
let seen = {}
for i in 0..1000 {
    let r = rand()
    let n = rand_int(1, 6)
    let f = rand_float(-2.0, 2.0)
    if r < 0 or r >= 1 or n < 1 or n > 6 or f < -2 or f >= 2 { ok = false }
    if type(n) != "int" or type(r) != "float" or type(f) != "float" { ok = false }
    seen[n] = true
}
print(ok, sorted(seen.keys()))
print(rand_int(5, 5))
