# 200 processes spawned and joined one after another. Unit: µs per process
# (lower is better). Usage: mpscript benches/spawn_seq.mps [REPS]
# (twin: benches/spawn_seq.py). Each child runs an empty function.
fn noop() {}

let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 200
# Warm-up, as the twin does: the first spawn maps the process table.
for i in 0..3 { (spawn noop()).join() }
for r in 0..reps {
    let failures = 0
    let t0 = time()
    for i in 0..n {
        let p = spawn noop()
        p.join()
        if p.exitcode != 0 { failures += 1 }
    }
    let dt = time() - t0
    assert(failures == 0, "{failures} children failed")
    print("RESULT {dt / n * 1_000_000}")
}
