# Barrier rounds: 3 processes (main + 2 children) pass one barrier(3)
# 5,000 times; one untimed warm-up round. Unit: rounds/s (higher is better).
# Usage: mpscript benches/barrier_rounds.mps [REPS]   (twin: benches/barrier_rounds.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 5_000

fn party(b, k) {
    for i in 0..k { b.wait() }
}

for r in 0..reps {
    let b = barrier(3)
    let ps = [spawn party(b, n + 1), spawn party(b, n + 1)]
    b.wait()
    let t0 = time()
    for i in 0..n { b.wait() }
    let dt = time() - t0
    for p in ps { p.join() }
    print("RESULT {n / dt}")
}
