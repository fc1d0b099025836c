# pool_callbacks.mps — Pool.map, map_async and apply_async with callbacks.
#
# Lesson: map gives the results in order. The async forms return at once;
# when a result is ready its callback runs in THIS process (not in a
# worker), at its next waiting point (a get, a sleep, join). Callbacks run
# one at a time, each to its end — even a slow one is never interrupted by
# another — so they can fill a plain list with no lock. A task that fails
# goes to error_callback instead.
pool p = 4

fn square(x) {
    sleep(0.01 * (x % 3))      # tasks take different times
    return x * x
}

print("map:", p.map(square, 0..8))

let results = []
fn collect(v) {
    print("callback start", v)
    sleep(0.02)                # a slow callback: no other one starts meanwhile
    results.push(v)
    print("callback end", v)
}

for i in 0..6 {
    p.apply_async(square, args=[i], callback=collect)      # Python's keyword form
}
p.map_async(square, [10, 11], callback=fn(vs) { print("map_async callback got", vs) })
p.apply_async(fn(x) { return 1 // x }, 0, error_callback=fn(e) { print("error_callback got", e.kind) })
p.close()
p.join()                       # every callback has run by now
print("collected:", sorted(results))
