# Condition ping-pong: two processes take turns under one condition; each
# turn flips a shared flag and notifies the other. One untimed warm-up
# round trip. Unit: µs per round trip (lower is better).
# Usage: mpscript benches/condition_pingpong.mps [REPS]   (twin: benches/condition_pingpong.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 5_000

fn child(c, turn, k) {
    for i in 0..k {
        lock c {
            while turn.value != 1 { c.wait() }
            turn.value = 0
            c.notify()
        }
    }
}

for r in 0..reps {
    let c = condition()
    shared turn = 0
    let p = spawn child(c, turn, n + 1)
    lock c {
        turn.value = 1
        c.notify()
        while turn.value != 0 { c.wait() }
    }
    let t0 = time()
    for i in 0..n {
        lock c {
            turn.value = 1
            c.notify()
            while turn.value != 0 { c.wait() }
        }
    }
    let dt = time() - t0
    p.join()
    print("RESULT {dt / n * 1e6}")
}
