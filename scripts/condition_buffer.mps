# condition_buffer.mps — a bounded buffer built from a condition.
#
# Lesson: a condition lets processes sleep until a change they care about.
# Always use it the same way: take its lock (`lock c { }`), look at the
# shared state in a loop (`while full { c.wait() }`, or
# c.wait_for(predicate)), change the state, and notify the others. wait()
# frees the lock while it sleeps and takes it back before it returns, so
# the state is only ever looked at and changed under the lock.
let capacity = 3
let c = condition()
shared buf = []
shared most = 0

fn producer(name, items) {
    for x in items {
        lock c {
            c.wait_for(fn() { return len(buf) < capacity })   # room?
            buf.append(x)
            if len(buf) > most.value { most.value = len(buf) }
            c.notify_all()                                     # items for the consumers
        }
    }
    print("{name} is done")
}

fn consumer(name, out) {
    let got = 0
    while true {
        let x = nil
        lock c {
            while len(buf) == 0 { c.wait() }                   # something to take?
            x = buf.pop(0)
            c.notify_all()                                     # room for the producers
        }
        if x == nil { break }                                  # the end marker
        got += 1
    }
    out.put(got)
    print("{name} took {got} items")
}

queue counts
let consumers = [spawn consumer("consumer A", counts), spawn consumer("consumer B", counts)]
let producers = [spawn producer("producer 1", 0..50), spawn producer("producer 2", 100..150)]
for p in producers { p.join() }
for i in 0..2 {
    lock c {
        c.wait_for(fn() { return len(buf) < capacity })
        buf.append(nil)                                        # one end marker per consumer
        c.notify_all()
    }
}
let total = counts.get() + counts.get()
for p in consumers { p.join() }
print("consumed {total} of 100 items; the buffer never held more than {most.value}")
