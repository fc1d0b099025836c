# 14_threads.mps — solution: sum of squares in 4 threads, results through a queue.
let results = queue()
let seen = local()
fn part(k) {
    seen.count = 0
    let s = 0
    for i in range(k * 250, (k + 1) * 250) {
        s += i * i
        seen.count += 1
    }
    results.put([k, s, seen.count, current_thread().name])
}
let ts = []
for k in 0..4 { ts.push(thread part(k)) }
for t in ts { t.join() }
let total = 0
let names = []
for i in 0..4 {
    let r = results.get()
    assert(r[2] == 250, "each thread counts only its own numbers")
    total += r[1]
    names.push(r[3])
}
let direct = 0
for i in 0..1000 { direct += i * i }
assert(total == direct, "the parts add up: {total} != {direct}")
assert(sorted(names) == ["Thread-1", "Thread-2", "Thread-3", "Thread-4"], "four threads")
print("sum of squares below 1000:", total)
