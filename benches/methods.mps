# 300,000 rounds of method calls on a list and a str: push, pop, upper,
# split, starts_with (5 calls a round). Unit: seconds (lower is better).
# Usage: mpscript benches/methods.mps [REPS]   (twins: benches/methods.py, .lua)
fn methods(n) {
    let xs = []
    let s = "alpha,beta"
    let hits = 0
    for i in 0..n {
        xs.push(i)
        xs.pop()
        let u = s.upper()
        let parts = u.split(",")
        if u.starts_with("ALPHA") { hits += len(parts) }
    }
    return hits
}

let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 300_000
for r in 0..reps {
    let t0 = time()
    let hits = methods(n)
    let dt = time() - t0
    assert(hits == 2 * n, "methods({n}) gave {hits}")
    print("RESULT {dt}")
}
