# deadlock_lock_order_fixed.mps — the same two locks, always taken a, then b.
#
# Lesson: with one global order for taking locks, a cycle of waits cannot
# form: whoever gets `a` first also gets `b`, and the other waits its turn.
lock a
lock b

fn worker() {
    lock a {
        sleep(0.1)
        lock b { print("worker got both") }
    }
}

let p = spawn worker()
lock a {
    sleep(0.1)
    lock b { print("main got both") }
}
p.join()
