# 11_pools.mps — solution: a Monte Carlo estimate of pi on a pool.
fn inside(n) {
    let hits = 0
    for i in 0..n {
        let x = rand()
        let y = rand()
        if x * x + y * y <= 1.0 { hits += 1 }
    }
    return hits
}
pool p = 4
let counts = []
let r = p.map_async(inside, [2000] * 8, callback=fn(all) { counts.extend(all) })
r.wait()
p.close()
p.join()
let pi = 4.0 * sum(counts) / (2000 * 8)
print("pi is about {pi:.3f}")
assert(len(counts) == 8 and pi > 3.0 and pi < 3.3, "a rough estimate")
