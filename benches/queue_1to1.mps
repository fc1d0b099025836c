# Queue throughput, 1 producer process -> the main process: 100,000 small
# ints (or, with the extra argument `kib`, 20,000 items of 1 KiB). The
# producer starts before timing and waits on a "go" event.
# Unit: msgs/s, or MB/s of payload for `kib` (higher is better).
# Usage: mpscript benches/queue_1to1.mps [REPS [kib]]   (twin: benches/queue_1to1.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let kib = len(args) > 1 and args[1] == "kib"
let n = 100_000
if kib { n = 20_000 }
let payload = "x" * 1024

fn producer(q, ready, go, n) {
    ready.set()
    go.wait()
    if kib {
        for i in 0..n { q.put(payload) }
    } else {
        for i in 0..n { q.put(i) }
    }
}

for r in 0..reps {
    let q = queue()
    let ready = event()
    let go = event()
    let p = spawn producer(q, ready, go, n)
    ready.wait()
    let t0 = time()
    go.set()
    let acc = 0
    if kib {
        for i in 0..n { acc += len(q.get()) }
    } else {
        for i in 0..n { acc += q.get() }
    }
    let dt = time() - t0
    p.join()
    if kib {
        assert(acc == n * 1024, "payload")
        print("RESULT {n * 1024 / dt / 1e6}")
    } else {
        assert(acc == n * (n - 1) // 2, "sum")
        print("RESULT {n / dt}")
    }
}
