# 03_daemons.mps — solution: a daemon heartbeat ends with the main program.
queue beats
fn heartbeat() {
    let n = 0
    while true {
        n += 1
        beats.put(n)
        sleep(0.05)
    }
}
let d = spawn daemon heartbeat()
let got = []
for i in 0..5 { got.push(beats.get()) }
print("beats: {got}")
assert(got == [1, 2, 3, 4, 5], "in order")
assert(d.is_alive(), "the daemon still runs until main ends")
