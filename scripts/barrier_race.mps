# barrier_race.mps — runners line up, then all start at once.
#
# Lesson: barrier(n) holds every process that calls b.wait() until n have
# arrived, then releases them together. Each gets its arrival index (0 for
# the first to line up, n-1 for the last, who fires the start). Without the
# barrier, the runner spawned first would have a head start. A runner that
# dies while others wait breaks the barrier: they get BrokenBarrierError
# instead of waiting for ever.
let runners = 4
let start_line = barrier(runners)
shared started = []

fn runner(name, b) {
    sleep(rand_float(0.0, 0.3))       # getting ready takes a while
    print("{name} is at the start line")
    let index = b.wait()
    if index == runners - 1 { print("{name} arrived last and fires the start") }
    lock started { started.append(name) }
    print("{name} runs")
}

let ps = []
for i in 1..=runners { ps.push(spawn runner("runner {i}", start_line)) }
for p in ps { p.join() }
print("started together: {len(started)} of {runners}")

# A broken barrier: one of three runners falls (is killed) at the line.
let line = barrier(3)
fn careful(name, b) {
    try { b.wait(); print("{name} runs") } catch e { print("{name}: {e.kind}: {e.message}") }
}
let steady = spawn careful("steady", line)
let faller = spawn { line.wait() }
while line.n_waiting < 2 { sleep(0.01) }
faller.kill()
faller.join()
steady.join()
print("broken: {line.broken}")
