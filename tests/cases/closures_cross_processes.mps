# Functions cross processes with what they captured, including from stack-local and nested frames.
queue q
let w = spawn { let f = q.get(); let g = q.get(); print(f(2), g(3)) }
fn make(k) { return fn(x) { return x * k } }
fn make2(a) {
    let b = a + 1
    fn mid() { return fn(y) { return y + a + b } }
    return mid()
}
q.put(make(21))
q.put(make2(10))
w.join()
