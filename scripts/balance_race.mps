# balance_race.mps — two threads change one global: updates are lost.
#
# Lesson: threads share their process's globals. `balance = balance + n` is
# a read, then a separate write, and the interpreter may switch threads
# between the two (every switch interval, like Python's GIL): the other
# thread's updates made meanwhile are overwritten. Each change_it() adds n
# and takes it away again, so the balance should stay 0 — it does not.
# (Processes do not race like this: each has its own copy of `balance`.)
# The fix is balance_lock.mps.

let balance = 0

fn change_it(n) {
    balance = balance + n
    balance = balance - n
}

fn run_thread(n) {
    for i in range(500000) {
        change_it(n)
    }
}

let t1 = thread run_thread(5)
let t2 = thread run_thread(8)
t1.join()
t2.join()
print("balance: {balance} (0 unless a switch fell between a read and its write)")
