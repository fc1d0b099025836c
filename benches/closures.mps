# Closures: 200,000 times make a counter closure over a local and call it
# 5 times, then call a function passed as an argument. Unit: seconds (lower is better).
# Usage: mpscript benches/closures.mps [REPS]   (twins: benches/closures.py, .lua)
fn make_counter(start) {
    let n = start
    return fn(step) {
        n += step
        return n
    }
}

fn apply(f, x) { return f(x) }

fn closures(rounds) {
    let total = 0
    for i in 0..rounds {
        let c = make_counter(i)
        c(1)
        c(1)
        c(1)
        c(1)
        total += apply(c, 1)
    }
    return total
}

let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let rounds = 200_000
for r in 0..reps {
    let t0 = time()
    let total = closures(rounds)
    let dt = time() - t0
    assert(total == rounds * (rounds - 1) / 2 + 5 * rounds, "closures({rounds}) gave {total}")
    print("RESULT {dt}")
}
