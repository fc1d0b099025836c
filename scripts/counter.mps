# counter.mps — 100 processes each take 10 from a shared counter of 1000.
#
# Lesson: `d["count"] -= 1` on a shared dict is a read, then a separate
# write. Two processes that read the same value both write value - 1, and
# one decrement is lost: the unlocked count usually ends above 0. Inside
# `lock d { }` (every shared object is also its own lock) the read and the
# write happen as one step, and the count ends at exactly 0.
shared d = {"count": 1000}

fn take(d, locked) {
    for i in 0..10 {
        if locked {
            lock d { d["count"] -= 1 }
        } else {
            d["count"] -= 1
        }
    }
}

fn run(locked) {
    d["count"] = 1000
    let ps = []
    for i in 0..100 {
        ps.push(spawn take(d, locked))
    }
    for p in ps { p.join() }
    return d["count"]
}

print("without a lock: {run(false)} left (should be 0)")
print("with a lock: {run(true)} left")
