# loop_thread.mps — a thread of this process, with a name of its own.
#
# Lesson: `thread f()` starts f in a thread of the SAME process (no fork:
# same globals, same data). `current_thread().name` says which thread runs:
# the main one is "MainThread", the others "Thread-1", "Thread-2"… unless
# renamed. `t.join()` waits for the thread to end, as `p.join()` does for a
# process.

fn loop_() {
    print("thread {current_thread().name} is running...")
    let n = 0
    while n < 5 {
        n = n + 1
        print("thread {current_thread().name} >>> {n}")
        sleep(0.01)
    }
    print("thread {current_thread().name} ended.")
}

print("thread {current_thread().name} is running...")
let t = thread loop_()
t.name = "LoopThread"       # named before it gets to run: the main thread holds the GIL
t.join()
print("thread {current_thread().name} ended.")
