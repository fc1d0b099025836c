# Two CPU-bound threads vs the same work in one thread (the GIL): the
# ratio time(2 threads) / time(1 thread, both jobs). Unit: x (≥ 0.9 expected).
# With `procs` as second argument: two processes instead (≤ 0.6 on 2 free cores).
# Usage: mpscript benches/thread_cpu.mps [REPS] [threads|procs]   (twin: thread_cpu.py)
let mode = "threads"
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
if len(args) > 1 { mode = args[1] }
let N = 2_000_000
fn count(n) { let x = 0; while x < n { x += 1 } }
for r in 0..reps {
    let t0 = time()
    count(N)
    count(N)
    let one = time() - t0
    t0 = time()
    let ws = []
    if mode == "procs" {
        ws = [spawn count(N), spawn count(N)]
    } else {
        ws = [thread count(N), thread count(N)]
    }
    for w in ws { w.join() }
    print("RESULT {(time() - t0) / one}")
}
