# pool_vs_spawn.mps — why pools exist.
#
# Lesson: starting a process costs a fork; a pool pays it once. 100 small
# tasks through a pool of 2 workers (the tasks travel through a queue to
# processes that already exist) against 100 processes spawned one per task
# (each task's result comes back through a queue). Both compute the same
# sum; the times show the cost of starting processes.
fn work(x) { return x * x }

let n = 100
let expected = 0
for i in 0..n { expected += work(i) }

let t0 = time()
pool p = 2
let total = sum(p.map(work, 0..n))
p.close()
p.join()
let pool_time = time() - t0
assert(total == expected, "pool sum")

let t1 = time()
queue q
fn one(x) { q.put(work(x)) }
let procs = []
for i in 0..n { procs.push(spawn one(i)) }
let total2 = 0
for i in 0..n { total2 += q.get() }
for pr in procs { pr.join() }
let spawn_time = time() - t1
assert(total2 == expected, "spawn sum")

print("sum:", total, "both ways")
print("pool of 2, 100 tasks: {round(pool_time * 1000, 1)} ms")
print("100 spawned processes: {round(spawn_time * 1000, 1)} ms")
