# Build a dict of 1,000,000 int keys (d[i] = i). Unit: seconds (lower is better).
# Usage: mpscript benches/dict.mps [REPS]   (twin: benches/dict.py)
fn dict_build(n) {
    let d = {}
    for i in 0..n {
        d[i] = i
    }
    return d
}

let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 1_000_000
for r in 0..reps {
    let t0 = time()
    let d = dict_build(n)
    let dt = time() - t0
    assert(len(d) == n, "dict_build({n}) has {len(d)} keys")
    print("RESULT {dt}")
}
