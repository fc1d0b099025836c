# fib(30), recursive, in-process. Unit: seconds per call (lower is better).
# Usage: mpscript benches/fib.mps [REPS]   (twin: benches/fib.py)
fn fib(n) {
    if n < 2 { return n }
    return fib(n - 1) + fib(n - 2)
}

let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 30
for r in 0..reps {
    let t0 = time()
    let x = fib(n)
    let dt = time() - t0
    assert(x == 832040, "fib({n}) gave {x}")
    print("RESULT {dt}")
}
