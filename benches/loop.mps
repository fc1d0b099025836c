# A `while` loop of 10,000,000 additions. Unit: seconds (lower is better).
# Usage: mpscript benches/loop.mps [REPS]   (twin: benches/loop.py)
fn while_sum(n) {
    let s = 0
    let i = 0
    while i < n {
        s += i
        i += 1
    }
    return s
}

let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 10_000_000
for r in 0..reps {
    let t0 = time()
    let s = while_sum(n)
    let dt = time() - t0
    assert(s == 49999995000000, "while_sum({n}) gave {s}")
    print("RESULT {dt}")
}
