# exit: 3
# A Deadlock the runtime finds ends a process with exit code 3: a child's
# exitcode, and the main program's exit code. A script's own
# error("Deadlock", …) is an ordinary error (exit code 1).
let c = spawn {
    lock mine
    mine.acquire()
    mine.acquire()
}
c.join()
print("child exitcode", c.exitcode)
let f = spawn { throw error("Deadlock", "not a real one") }
f.join()
print("forged exitcode", f.exitcode)
lock l
try {
    l.acquire()
    l.acquire()
} catch e {
    print("caught", e.kind)
    print("thrown again")
    throw e
}
print("never")
