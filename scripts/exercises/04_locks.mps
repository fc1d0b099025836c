# 04_locks.mps — solution: deposits under a lock are never lost.
shared balance = 0
lock account
fn deposit_racy(n) {
    for i in 0..n {
        let b = balance.value
        balance.value = b + 1
    }
}
fn deposit_locked(n) {
    for i in 0..n {
        lock account { balance.value += 1 }
    }
}
fn run_with(f) {
    balance.value = 0
    let ps = []
    for i in 0..4 { ps.push(spawn f(200)) }
    for p in ps { p.join() }
    return balance.value
}
let racy = run_with(deposit_racy)
print("without a lock: {racy} of 800 ({800 - racy} lost)")
let safe = run_with(deposit_locked)
print("with a lock: {safe} of 800")
assert(safe == 800, "a lock loses nothing")
