# 2 processes x 100,000 `lock l { n.value += 1 }` on a shared counter, contended.
# Unit: pairs/s (higher is better). One op = one acquire+release pair.
# Usage: mpscript benches/lock_rate.mps [REPS]   (twin: benches/lock_rate.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n_per = 100_000
let procs = 2
lock l
shared n = 0
event go

fn worker(k, ready) {
    ready.set()
    go.wait()
    for i in 0..k {
        lock l { n.value += 1 }
    }
}

for r in 0..reps {
    n.value = 0
    go.clear()
    let ps = []
    let readies = []
    for p in 0..procs {
        let ready = event()
        readies.push(ready)
        ps.push(spawn worker(n_per, ready))
    }
    for ready in readies { ready.wait() }
    let t0 = time()
    go.set()
    for p in ps { p.join() }
    let dt = time() - t0
    assert(n.value == procs * n_per, "count {n.value}")
    print("RESULT {procs * n_per / dt}")
}
