# Pipe ping-pong: a duplex pipe, the child sends back what it receives plus
# one; 20,000 round trips of a small int after one untimed warm-up round trip.
# Unit: µs per round trip (lower is better).
# Usage: mpscript benches/pipe_pingpong.mps [REPS]   (twin: benches/pipe_pingpong.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 20_000

fn child(conn, k) {
    for i in 0..k { conn.send(conn.recv() + 1) }
}

for r in 0..reps {
    pipe a, b
    let p = spawn child(b, n + 1)
    a.send(-1)
    a.recv()
    let x = 0
    let t0 = time()
    for i in 0..n {
        a.send(x)
        x = a.recv()
    }
    let dt = time() - t0
    p.join()
    assert(x == n, "count")
    a.close()
    b.close()
    print("RESULT {dt / n * 1e6}")
}
