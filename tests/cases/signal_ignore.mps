# signal(name, "ignore") and signal(name, "default"): Python's SIG_IGN and SIG_DFL.
signal("SIGUSR1", "ignore")
kill(getpid(), "SIGUSR1")
sleep(0.05)
print("main ignored SIGUSR1")
# An ignored signal stays ignored in a child (as after fork in Python).
let c = spawn { kill(getpid(), "SIGUSR1"); print("child ignored it too") }
c.join()
print("child exitcode", c.exitcode)
signal("SIGUSR1", "default")
let d = spawn { kill(getpid(), "SIGUSR1"); sleep(5); print("never") }
d.join()
print("with the default action: exitcode", d.exitcode)
let t = spawn {
    signal("SIGTERM", "ignore")
    kill(getpid(), "SIGTERM")
    print("child ignored SIGTERM")
    signal("SIGTERM", "default")
    kill(getpid(), "SIGTERM")
    sleep(5)
}
t.join()
print("then ended by it: exitcode", t.exitcode)
# A handler, then back to the default.
let got = []
signal("SIGUSR2", fn(name) { got.push(name) })
kill(getpid(), "SIGUSR2")
sleep(0.05)
print(got)
try { signal("SIGUSR2", "sometimes") } catch e { print(e) }
try { signal("SIGUSR2", 5) } catch e { print(e.kind) }
