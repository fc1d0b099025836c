# deadlock_lost_item.mps — a consumer waits for an item nobody puts.
#
# Lesson: the producer puts 3 items but the consumer takes 4 (it was told
# the wrong count). After the third, the consumer waits on `q.get()`, and
# the main process waits to join it: every process waits, and nothing can
# ever arrive. Python hangs here; mpscript reports the deadlock (exit code
# 3) instead of hanging. The fix (deadlock_lost_item_fixed.mps): a `nil` sentinel says
# "no more items", so the consumer knows when to stop.
queue q

fn consumer(q, expected) {
    for i in 0..expected {
        print("got", q.get())
    }
}

let c = spawn consumer(q, 4)
for item in ["a", "b", "c"] { q.put(item) }
c.join()
