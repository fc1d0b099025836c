# producer_consumer.mps — two producers, two consumers, one queue.
#
# Lesson: a queue hands each item to exactly one consumer. Producers put
# their numbers; when both are done, the main program puts one `nil`
# sentinel per consumer, so each consumer knows when to stop. Which consumer
# gets which item depends on timing, but the totals never do: every item is
# taken exactly once (count and sum below), and each producer's items come
# out in the order it put them.
queue q = 16                # bounded: a fast producer waits for the consumers
queue results               # consumers report their totals here

fn producer(name, first, n) {
    for i in first..first + n {
        q.put(i)
    }
    print("{name} put {n} items")
}

fn consumer(name) {
    let count = 0
    let total = 0
    while true {
        let item = q.get()
        if item == nil { break }        # the sentinel: no more work
        count += 1
        total += item
    }
    print("{name} took {count} items")
    results.put([count, total])
}

let producers = [spawn producer("producer A", 0, 500), spawn producer("producer B", 1000, 500)]
let consumers = [spawn consumer("consumer 1"), spawn consumer("consumer 2")]

for p in producers { p.join() }
for c in consumers { q.put(nil) }       # one sentinel per consumer, after all the items

let count = 0
let total = 0
for c in consumers {
    let r = results.get()
    count += r[0]
    total += r[1]
}
for c in consumers { c.join() }
print("items: {count}")                 # always 1000
print("sum: {total}")                   # always 0+…+499 + 1000+…+1499 = 749500
