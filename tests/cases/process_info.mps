# current_process(), parent_process(), active_children() as in Python.
let me = current_process()
print(me.name, me.pid == getpid(), me.daemon, parent_process())
queue q
fn report() {
    let c = current_process()
    let p = parent_process()
    q.put([c.name, c.pid == getpid(), c.daemon, p.name, p.pid == getppid()])
}
let a = spawn report()
a.name = "Worker-A"
print(q.get())
let d = spawn daemon report()
print(q.get())
a.join()
d.join()
# A child renames itself; its parent's handle keeps the name it gave.
let r = spawn {
    current_process().name = "Renamed"
    q.put(current_process().name)
}
print(q.get())
r.join()
# Live children only: finished ones are reaped and left out.
event go
let kids = []
for i in 0..3 { kids.push(spawn { go.wait() }) }
print("active", len(active_children()))
print(active_children() == kids)
go.set()
for k in kids { k.join() }
print("active after join", len(active_children()))
let quick = spawn { }
while quick.is_alive() { sleep(0.01) }
print("active after a child ended", active_children())
try { me.name() } catch e { print(e) }
try { q.maxsize() } catch e { print(e) }
try { print(me.is_alive) } catch e { print(e) }
