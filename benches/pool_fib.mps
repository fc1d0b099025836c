# CPU-bound pool: pool(2).map(fib, [25] * 8), pool start excluded.
# Unit: seconds (lower is better).
# Usage: mpscript benches/pool_fib.mps [REPS]   (twin: benches/pool_fib.py)
fn fib(n) {
    if n < 2 { return n }
    return fib(n - 1) + fib(n - 2)
}

let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let jobs = [25, 25, 25, 25, 25, 25, 25, 25]
for r in 0..reps {
    let p = pool(2)
    let t0 = time()
    let out = p.map(fib, jobs)
    let dt = time() - t0
    p.close()
    p.join()
    assert(len(out) == 8 and out[7] == 75025, "wrong result")
    print("RESULT {dt}")
}
