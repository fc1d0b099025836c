# 10,000 apply_async(square, i), then get() of every result, on pool(2).
# Unit: tasks/s (higher is better); the pool's start is not timed. Usage:
# mpscript benches/pool_apply_async.mps [REPS] (twin: benches/pool_apply_async.py).
fn square(x) { return x * x }
fn noop() {}

let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 10_000
for r in 0..reps {
    let p = pool(2)
    p.apply(noop)                      # workers up and serving
    let t0 = time()
    let rs = []
    for i in 0..n { rs.push(p.apply_async(square, i)) }
    let last = nil
    for x in rs { last = x.get() }
    let dt = time() - t0
    p.close()
    p.join()
    assert(last == (n - 1) * (n - 1), "wrong result")
    print("RESULT {n / dt}")
}
