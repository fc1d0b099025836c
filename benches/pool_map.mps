# Pool(2).map of a square over 100,000 ints, default chunks. Unit: tasks/s
# (higher is better); the pool's start is not timed. Usage:
# mpscript benches/pool_map.mps [REPS] (twin: benches/pool_map.py).
fn square(x) { return x * x }

let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 100_000
for r in 0..reps {
    let p = pool(2)
    let t0 = time()
    let out = p.map(square, 0..n)
    let dt = time() - t0
    p.close()
    p.join()
    assert(len(out) == n and out[n - 1] == (n - 1) * (n - 1), "wrong result")
    print("RESULT {n / dt}")
}
