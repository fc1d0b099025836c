# traffic_light.mps — cars wait for a green light.
#
# Lesson: an event is a flag every process can wait for. Cars that arrive on
# red block in e.wait() (in the kernel, no polling); e.set() wakes all of
# them at once; e.clear() makes the next arrivals wait again. A car never
# passes while the light has never been green.
event green

fn light(e) {
    for round in 0..3 {
        print("red")
        sleep(0.2)
        e.set()
        print("green")
        sleep(0.2)
        e.clear()
    }
    e.set()     # leave it green at the end, so a car arriving late does not wait forever
}

fn car(i, e) {
    if not e.is_set() { print("car {i} waits") }
    e.wait()
    print("car {i} passes")
}

let t = spawn light(green)
let cars = []
for i in 1..=5 {
    sleep(rand_float(0.0, 0.3))
    cars.push(spawn car(i, green))
}
for c in cars { c.join() }
t.join()
