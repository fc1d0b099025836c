# Closures keep their defining frames; functions without closures keep locals on the stack.
fn make_counter() {
    let n = 0
    fn inc(by=1) { n += by; return n }
    return inc
}
let c = make_counter()
c(); c(); print(c(5))
fn outer(a) {
    fn mid(b) {
        fn inner(c) { return a + b + c }
        return inner(3)
    }
    return mid(2)
}
print(outer(1))
fn adder(x) { return fn(y) { return x + y } }
print(adder(10)(5))
fn defaults(a, b=a*2, c=b+1) { return [a, b, c] }
print(defaults(1), defaults(1, c=0), defaults(a=2))
fn rec(n) { if n == 0 { return [] } let r = rec(n - 1); r.push(n); return r }
print(rec(5))
