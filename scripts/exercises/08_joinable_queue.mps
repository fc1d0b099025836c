# 08_joinable_queue.mps — solution: join() means every result is there.
queue tasks
queue results
fn worker() {
    while true {
        let n = tasks.get()
        results.put(n * n)
        tasks.task_done()
    }
}
for i in 0..3 { spawn daemon worker() }
for n in 0..20 { tasks.put(n) }
tasks.join()
let total = 0
for i in 0..20 { total += results.get_nowait() }
print("sum of squares: {total}")
assert(total == 2470, "0² + … + 19²")
