# q.close(): this process puts no more; join_thread() and
# cancel_join_thread() have no feeder thread to wait for or give up.
queue q
let c = spawn {
    q.put("from the child")
    q.close()
    q.join_thread()
    try { q.put("late") } catch e { print("child:", e) }
}
c.join()
print(q.get())
# Closed in the child only: the main process can still put.
q.put("from main")
print(q.get())
try { q.join_thread() } catch e { print(e) }
q.cancel_join_thread()
q.close()
try { q.put_nowait(1) } catch e { print(e.kind) }
print("empty", q.empty())
