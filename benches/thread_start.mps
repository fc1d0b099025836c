# 2,000 threads started and joined one after another. Unit: µs/thread.
# Usage: mpscript benches/thread_start.mps [REPS]   (twin: thread_start.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 2000
fn nothing() { }
for r in 0..reps {
    let t0 = time()
    for i in 0..n {
        let t = thread nothing()
        t.join()
    }
    print("RESULT {(time() - t0) / n * 1e6}")
}
