# Joinable queue: 2 consumer processes get() + task_done(); the main process
# puts 20,000 ints, then join()s. Consumers start before timing.
# Unit: items/s (higher is better).
# Usage: mpscript benches/joinable_queue.mps [REPS]   (twin: benches/joinable_queue.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 20_000
let consumers = 2

fn consumer(q, ready, go) {
    ready.set()
    go.wait()
    while true {
        let item = q.get()
        q.task_done()
        if item == nil { break }
    }
}

for r in 0..reps {
    let q = queue()
    let go = event()
    let ps = []
    let readies = []
    for c in 0..consumers {
        let ready = event()
        readies.push(ready)
        ps.push(spawn consumer(q, ready, go))
    }
    for ready in readies { ready.wait() }
    go.set()
    let t0 = time()
    for i in 0..n { q.put(i) }
    q.join()
    let dt = time() - t0
    for c in 0..consumers { q.put(nil) }
    for p in ps { p.join() }
    print("RESULT {n / dt}")
}
