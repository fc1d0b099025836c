# threads_vs_processes.mps — a CPU-bound job: threads do not help, processes do.
#
# Lesson: only one thread of a process runs script code at a time (a GIL,
# as in CPython), so two CPU-bound threads take about as long as doing the
# two jobs one after the other. Two processes run on two CPUs at once and
# take about half as long (on a machine with two free cores). Threads are
# for waiting (I/O, queues, sleeps), processes for computing.

fn count(n) {
    let x = 0
    while x < n {
        x += 1
    }
}

let N = 2000000

let t0 = time()
count(N)
count(N)
let one = time() - t0

t0 = time()
let threads = [thread count(N), thread count(N)]
for t in threads { t.join() }
let two_threads = time() - t0

t0 = time()
let procs = [spawn count(N), spawn count(N)]
for p in procs { p.join() }
let two_procs = time() - t0

print("one after the other: {one:.2f} s")
print("two threads:         {two_threads:.2f} s ({two_threads / one:.2f}x)")
print("two processes:       {two_procs:.2f} s ({two_procs / one:.2f}x)")
