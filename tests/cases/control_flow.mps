# §4: if / else if / else, while, for, break and continue.
fn sign(n) {
    if n < 0 {
        return "negative"
    } else if n == 0 {
        return "zero"
    } else {
        return "positive"
    }
}
print(sign(-5), sign(0), sign(5))
if false { print("no") }
else { print("else on the next line") }
let i = 0
while i < 3 {
    print("while", i)
    i += 1
}
for x in [10, 20] { print("list", x) }
for x in 0..3 { print("range", x) }
for x in 1..=3 { print("inclusive", x) }
for k in {"b": 1, "a": 2} { print("dict key", k) }
for ch in "hé!" { print("char", ch) }
for x in 0..0 { print("never") }
for n in 0..10 {
    if n % 2 == 0 { continue }
    if n > 6 { break }
    print("odd", n)
}
# break leaves only the innermost loop
for a in 0..3 {
    for b in 0..3 {
        if b == 1 { break }
        print("pair", a, b)
    }
}
let n = 0
while true {
    n += 1
    if n == 4 { break }
}
print("n", n)
