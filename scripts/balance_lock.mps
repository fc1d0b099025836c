# balance_lock.mps — the balance race of balance_race.mps, fixed with a lock.
#
# Lesson: a `lock` block makes the read and the write of the balance one
# step: a thread that wants the lock waits for the holder to leave the
# block, so no update is lost and the balance ends at exactly 0. A lock is
# held by one thread of one process: the same `lock` works between threads
# and between processes.

let balance = 0
lock balance_lock

fn change_it(n) {
    balance = balance + n
    balance = balance - n
}

fn run_thread(n) {
    for i in range(200000) {
        lock balance_lock {
            change_it(n)
        }
    }
}

let t1 = thread run_thread(5)
let t2 = thread run_thread(8)
t1.join()
t2.join()
print("balance: {balance}")
