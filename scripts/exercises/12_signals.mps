# 12_signals.mps — solution: a child counts the signals it was sent.
queue ready
fn child() {
    let got = 0
    signal("SIGUSR1", fn(name) { got += 1 })
    for round in 0..3 {
        let before = got
        ready.put(round)
        while got == before { sleep(0.01) }      # wait for this round's signal
    }
    exit(got)
}
let c = spawn child()
for round in 0..3 {
    ready.get()
    kill(c.pid, "SIGUSR1")
}
c.join()
print("the child counted {c.exitcode} signals")
assert(c.exitcode == 3, "one per round")
