# A lock handed between 2 threads: 2 threads x 20,000 `lock l { n += 1 }`.
# Unit: pairs/s. Usage: mpscript benches/thread_lock.mps [REPS]   (twin: thread_lock.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let k = 20_000
lock l
let n = 0
fn worker() {
    for i in 0..k {
        lock l { n += 1 }
    }
}
for r in 0..reps {
    n = 0
    let t0 = time()
    let ts = [thread worker(), thread worker()]
    for t in ts { t.join() }
    let dt = time() - t0
    assert(n == 2 * k, "count {n}")
    print("RESULT {2 * k / dt}")
}
