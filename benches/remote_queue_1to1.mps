# Remote queue throughput, 1 producer process -> the main process, through a
# Redis server: 20,000 small ints. The producer starts before timing and
# waits on a "go" event.
# Unit: msgs/s (higher is better).
# Usage: mpscript benches/remote_queue_1to1.mps REPS URL AUTHKEY
# (twin: benches/remote_queue_1to1.py, CPython's BaseManager queue; the
# harness starts the Redis server and passes URL and AUTHKEY)
let reps = int(args[0])
let url = args[1]
let key = args[2]
let n = 20_000

fn producer(name, ready, go) {
    let q = manager(url, authkey=key).queue(name)
    ready.set()
    go.wait()
    for i in 0..n { q.put(i) }
}

let m = manager(url, authkey=key)
for r in 0..reps {
    let name = "bench-{getpid()}-{r}"
    let q = m.queue(name)
    let ready = event()
    let go = event()
    let p = spawn producer(name, ready, go)
    ready.wait()
    let t0 = time()
    go.set()
    let acc = 0
    for i in 0..n { acc += q.get() }
    let dt = time() - t0
    p.join()
    assert(acc == n * (n - 1) // 2, "sum")
    print("RESULT {n / dt}")
}
