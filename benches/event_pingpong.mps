# Event ping-pong: two events, each side set()/wait()/clear(); one untimed
# warm-up round trip. Unit: µs per round trip (lower is better).
# Usage: mpscript benches/event_pingpong.mps [REPS]   (twin: benches/event_pingpong.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 5_000

fn child(ping, pong, k) {
    for i in 0..k {
        ping.wait()
        ping.clear()
        pong.set()
    }
}

for r in 0..reps {
    let ping = event()
    let pong = event()
    let p = spawn child(ping, pong, n + 1)
    ping.set()
    pong.wait()
    pong.clear()
    let t0 = time()
    for i in 0..n {
        ping.set()
        pong.wait()
        pong.clear()
    }
    let dt = time() - t0
    p.join()
    print("RESULT {dt / n * 1e6}")
}
