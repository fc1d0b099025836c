# 4 processes x 50,000 `s.acquire(); s.release()` on sem(2).
# Unit: pairs/s (higher is better). One op = one acquire+release pair.
# Usage: mpscript benches/sem.mps [REPS]   (twin: benches/sem.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n_per = 50_000
let procs = 4
event go

fn worker(s, k, ready) {
    ready.set()
    go.wait()
    for i in 0..k {
        s.acquire()
        s.release()
    }
}

for r in 0..reps {
    let s = sem(2)
    go.clear()
    let ps = []
    let readies = []
    for p in 0..procs {
        let ready = event()
        readies.push(ready)
        ps.push(spawn worker(s, n_per, ready))
    }
    for ready in readies { ready.wait() }
    let t0 = time()
    go.set()
    for p in ps { p.join() }
    let dt = time() - t0
    assert(s.value() == 2, "sem value {s.value()}")
    print("RESULT {procs * n_per / dt}")
}
