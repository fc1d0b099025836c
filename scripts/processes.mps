# processes.mps — spawn, join, names, pids, is_alive, terminate; and the big
# lesson: a child gets a COPY of its parent's memory, not a share of it.

let counter = 0
let seen = []

fn work(n) {
    # This runs in the child: it changes the child's own copies only.
    counter += n
    seen.push(n)
    print("{getpid()} (child of {getppid()}): counter = {counter}, seen = {seen}")
}

# spawn starts a child at once; join waits for it to end.
let p = spawn work(10)
print("spawned {p.name} with pid {p.pid}")
p.join()
print("{p.name} ended with exitcode {p.exitcode}")

# Memory isolation: the parent's variables are untouched by the child.
print("in the parent: counter = {counter}, seen = {seen}")
assert(counter == 0 and seen == [], "the child's changes leaked into the parent")

# Several children at once. Their output may come in any order.
let workers = []
for i in 1..=3 {
    let w = spawn work(i)
    w.name = "Worker-{i}"            # a name is a label for the parent's handle
    workers.push(w)
}
for w in workers {
    w.join()
    print("{w.name} (pid {w.pid}) exitcode {w.exitcode}")
}

# is_alive and terminate: a child that would sleep for a minute.
let sleeper = spawn { sleep(60) }
print("sleeper alive: {sleeper.is_alive()}, exitcode {sleeper.exitcode}")   # nil: still running
sleeper.terminate()                  # SIGTERM
sleeper.join()
print("sleeper alive: {sleeper.is_alive()}, exitcode {sleeper.exitcode}")   # -15: killed by signal 15

# current_process() is a process's own handle, parent_process() its parent's
# (nil in the main program); active_children() the children still running.
let who = spawn { print("child: I am {current_process().name}, my parent is {parent_process().name}") }
who.join()
print("main: I am {current_process().name}, my parent is {parent_process()}")
print("children still running: {active_children()}")
