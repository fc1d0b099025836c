# pool_map.mps — a pool of worker processes, started once and reused.
#
# Lesson: `pool p = 2` starts two worker processes. `p.map(f, xs)` sends the
# calls to them in chunks and gives the results back in the order of `xs`,
# whichever worker ran which call. Any function can be a task: a named one,
# a closure with its captured values, even one defined after the pool was
# made (it travels as its source text plus what it captured). An error in a
# task is raised again here, with the worker's own diagnostic attached.
pool p = 2

fn square(x) { return x * x }

let squares = p.map(square, 0..10)
print("squares:", squares)

# starmap: each item is the list of arguments of one call.
print("sums:", p.starmap(fn(a, b) { return a + b }, [[1, 2], [3, 4], [5, 6]]))

# apply: one call on a worker, waiting for it.
print("apply:", p.apply(square, 12))

# A function defined after the pool, used from a closure that captures `k`.
fn cube(x) { return x * x * x }
let k = 10
print("closure:", p.map(fn(x) { return cube(x) + k }, [1, 2, 3]))

# The workers are reused: 200 calls ran in at most two processes, none of
# them this one (a fast worker may even take every call).
let pids = {}
for pid in p.map(fn(x) { return getpid() }, 0..200, chunksize=1) { pids[pid] = true }
print("at most 2 worker pids:", len(pids) <= 2, "main among them:", getpid() in pids)

# An error in a task comes back to the caller of map.
try {
    p.map(fn(x) { return 10 / x }, [5, 2, 0])
} catch e {
    print("caught:", e)
}

p.close()
p.join()
print("done")
