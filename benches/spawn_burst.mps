# A burst of 200 processes: all spawned, then all joined. Unit: µs per
# process (lower is better). Usage: mpscript benches/spawn_burst.mps [REPS]
# (twin: benches/spawn_burst.py). Each child runs an empty function.
fn noop() {}

let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 200
for i in 0..3 { (spawn noop()).join() }
for r in 0..reps {
    let t0 = time()
    let ps = []
    for i in 0..n { ps.push(spawn noop()) }
    for p in ps { p.join() }
    let dt = time() - t0
    let failures = 0
    for p in ps {
        if p.exitcode != 0 { failures += 1 }
    }
    assert(failures == 0, "{failures} children failed")
    print("RESULT {dt / n * 1_000_000}")
}
