# String building: a str grown by += 20,000 times, plus a join of 200,000 formatted pieces. Unit: seconds (lower is better).
# Usage: mpscript benches/strbuild.mps [REPS]   (twins: benches/strbuild.py, .lua)
fn build(n) {
    let s = ""
    for i in 0..20_000 {
        s += "ab"
    }
    let parts = []
    for i in 0..n {
        parts.push("{i},")
    }
    let t = "".join(parts)
    return len(s) + len(t)
}

let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 200_000
for r in 0..reps {
    let t0 = time()
    let total = build(n)
    let dt = time() - t0
    assert(total == 40000 + 1288890, "build({n}) gave {total}")
    print("RESULT {dt}")
}
