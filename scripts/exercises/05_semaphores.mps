# 05_semaphores.mps — solution: two printers, six jobs, never a shared printer.
sem printers = 2
shared busy = [false, false]
shared log = []
fn job(i) {
    sem printers {
        let slot = -1
        lock busy {
            slot = busy.snapshot().index(false)   # a free one exists: we hold a permit
            busy[slot] = true
        }
        log.push([i, slot])
        sleep(0.05)
        lock busy { busy[slot] = false }
    }
}
let jobs = []
for i in 0..6 { jobs.push(spawn job(i)) }
for j in jobs { j.join() }
print("jobs and their printers: {sorted(log.snapshot())}")
assert(len(log) == 6 and busy.snapshot() == [false, false], "every job printed; printers free")
