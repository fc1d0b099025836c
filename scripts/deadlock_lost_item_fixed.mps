# deadlock_lost_item_fixed.mps — the consumer stops at a sentinel.
#
# Lesson: instead of counting, the producer puts `nil` after the last item;
# the consumer loops until it sees it. However many items come, the
# consumer ends, and so does the program.
queue q

fn consumer(q) {
    while true {
        let item = q.get()
        if item == nil { break }
        print("got", item)
    }
}

let c = spawn consumer(q)
for item in ["a", "b", "c"] { q.put(item) }
q.put(nil)
c.join()
