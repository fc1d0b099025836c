# §4: functions, defaults, keyword arguments, closures, recursion, globals.
fn add(a, b=2) { return a + b }
print(add(1), add(1, 10), add(1, b=5), add(a=3, b=4))
fn describe(name, greeting="hello", punct="!") { return "{greeting}, {name}{punct}" }
print(describe("ann"), describe("bob", punct="?"), describe("cy", "hi", punct="."))
fn nothing() { return }
fn no_return() { let x = 1 }
print(nothing(), no_return())
let double = fn(x) { return x * 2 }
print(double(21), [1, 2, 3].len())
# A closure captures the scope it was made in.
fn make_counter() {
    let count = 0
    return fn() {
        count += 1
        return count
    }
}
let c1 = make_counter()
let c2 = make_counter()
c1(); c1()
print(c1(), c2())
fn adder(n) { return fn(x) { return x + n } }
let add5 = adder(5)
print(add5(1), adder(10)(1))
# Recursion.
fn fib(n) { if n < 2 { return n } return fib(n - 1) + fib(n - 2) }
print(fib(20))
fn fact(n) { if n <= 1 { return 1 } return n * fact(n - 1) }
print(fact(20))
# Top-level variables are globals visible (and assignable) in functions.
let calls = 0
let limit = 3
fn tick() {
    calls += 1
    return calls < limit
}
while tick() { }
print("calls", calls)
# Functions are values.
fn apply(f, x) { return f(x) }
print(apply(double, 4), apply(fn(s) { return s.upper() }, "up"))
print(sorted([3, -1, 2], key=fn(v) { return v * v }))
