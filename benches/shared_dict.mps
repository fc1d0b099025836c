# 2 processes x 5,000 `lock d { d["count"] += 1 }` on a shared dict (its own lock).
# Unit: ops/s (higher is better). CPython twin: Manager().dict() + Lock().
# Usage: mpscript benches/shared_dict.mps [REPS]   (twin: benches/shared_dict.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n_per = 5_000
let procs = 2
shared d = {"count": 0}
event go

fn worker(k, ready) {
    ready.set()
    go.wait()
    for i in 0..k {
        lock d { d["count"] += 1 }
    }
}

for r in 0..reps {
    d["count"] = 0
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
    assert(d["count"] == procs * n_per, "count {d["count"]}")
    print("RESULT {procs * n_per / dt}")
}
