# deadlock_lock_order.mps — two locks taken in opposite order.
#
# Lesson: the main process takes `a` then wants `b`; the worker takes `b`
# then wants `a`. Each holds what the other needs: Python hangs forever.
# mpscript notices that every process is waiting and none can be woken,
# prints who waits for what, where, and who holds each lock, and stops with
# exit code 3. The fix (deadlock_lock_order_fixed.mps): take locks in the
# same order everywhere.
lock a
lock b

fn worker() {
    lock b {
        sleep(0.1)              # give main time to take `a`
        lock a { print("worker got both") }
    }
}

let p = spawn worker()
lock a {
    sleep(0.1)                  # give the worker time to take `b`
    lock b { print("main got both") }
}
p.join()
