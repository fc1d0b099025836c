# 06_events.mps — solution: cars only pass on green.
event green
shared seen = []
fn light() {
    for round in 0..3 {
        green.clear()
        sleep(0.1)
        green.set()
        sleep(0.1)
    }
    green.set()                     # stay green: a late car must not wait forever
}
fn car(i) {
    if not green.is_set() { print("car {i} waits") }
    green.wait()
    seen.push(i)
    print("car {i} passes")
}
let t = spawn light()
let cars = []
for i in 1..=5 {
    sleep(rand_float(0.0, 0.1))
    cars.push(spawn car(i))
}
for c in cars { c.join() }
t.join()
print("cars passed: {len(seen)}")
assert(len(seen) == 5, "every car passed")
