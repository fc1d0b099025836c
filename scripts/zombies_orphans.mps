# zombies_orphans.mps — zombies and orphans of processes started with spawn.
#
# Lesson: a child that has ended stays a zombie (state Z in /proc) until its
# parent collects its exit code: with join(), or with active_children(),
# which (as in Python) reaps every child that has ended. An orphan is a
# process whose parent ended first: it gets a new parent. Python's orphans
# go to init (pid 1); the mpscript main process adopts the program's own
# orphans (a "child subreaper") and reaps them, so nothing is left behind.
# A child started with spawn dies with its parent, so the orphan below is
# made with the low-level fork() (fork_basics.mps shows fork itself).

fn state_of(pid) {
    # Field 3 of /proc/PID/stat is the state: R running, S sleeping, Z zombie.
    return read_file("/proc/{pid}/stat").split(" ")[2]
}

# 1. A zombie: the child has ended and nobody has joined it yet.
let c = spawn { print("child {getpid()}: my work is done") }
while state_of(c.pid) != "Z" { sleep(0.01) }
print("child {c.pid} has ended; not joined yet, its state is {state_of(c.pid)} (zombie)")
print("active_children() reaps it and lists the live ones: {active_children()}")
print("the zombie is gone: {not file_exists("/proc/{c.pid}")}; exitcode {c.exitcode}")

# 2. An orphan: a child forks a grandchild, then dies at once (SIGKILL, so it
#    waits for no one). The grandchild notices its new parent.
let main = getpid()
queue news
let middle = spawn {
    let me = getpid()
    if fork() == 0 {
        while getppid() == me { sleep(0.01) }       # until our parent is gone
        news.put("grandchild: my parent {me} is gone; adopted by main: {getppid() == main}")
        exit(0)
    }
    kill(me, "SIGKILL")
}
middle.join()
print("middle process ended with exitcode {middle.exitcode} (killed by SIGKILL)")
print(news.get())
# The main process reaps the adopted orphan at the latest when it ends.
