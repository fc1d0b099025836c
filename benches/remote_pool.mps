# Remote pool throughput: m.pool("bench").map(square, 0..20000), default
# chunks, served by `mpscript worker ... --pool bench --procs 2` that the
# harness starts beside the Redis server.
# Unit: tasks/s (higher is better).
# Usage: mpscript benches/remote_pool.mps REPS URL AUTHKEY
# (twin: benches/remote_pool.py, the seed's BaseManager task/result queues
# with 2 worker processes)
let reps = int(args[0])
let url = args[1]
let key = args[2]
let n = 20_000
fn square(x) { return x * x }

let p = manager(url, authkey=key).pool("bench")
for r in 0..reps {
    let t0 = time()
    let out = p.map(square, 0..n)
    let dt = time() - t0
    assert(len(out) == n and out[n - 1] == (n - 1) * (n - 1), "results")
    print("RESULT {n / dt}")
}
