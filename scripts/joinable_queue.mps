# joinable_queue.mps — wait until every task is done, not just taken.
#
# Lesson: `q.join()` returns once every item put has been marked done with
# `task_done()`. A queue being empty is not enough: a worker may still be
# working on the last item it took. Calling `task_done()` more often than
# items were put is a ValueError.
queue tasks
shared done = 0
lock l

fn worker(name) {
    while true {
        let n = tasks.get()
        if n == nil {
            tasks.task_done()
            break
        }
        sleep(0.01)                     # the work
        lock l { done.value += 1 }
        tasks.task_done()               # only now does it count as done
    }
}

let workers = [spawn worker("w1"), spawn worker("w2"), spawn worker("w3")]
for i in 0..30 { tasks.put(i) }
tasks.join()                            # every one of the 30 tasks is finished
print("done after join: {done.value}")  # always 30
for w in workers { tasks.put(nil) }
tasks.join()
for w in workers { w.join() }

try {
    tasks.task_done()                   # nothing left to mark done
} catch e {
    print("{e.kind}: {e.message}")
}
