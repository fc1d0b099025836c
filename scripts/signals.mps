# signals.mps — signals: sending them, handling them, and dying of them.
#
# signal(name, handler) installs a handler. It does not run inside the OS
# signal handler: the signal is noted, and handler(name) runs at the next safe
# point of the interpreter (a loop turn, a call, or a sleep/join that the
# signal interrupts). kill(pid, name) sends a signal, like the shell's kill.

# 1. A signal to ourselves.
let count = 0
signal("SIGUSR1", fn(name) { count += 1; print("main got {name}") })
kill(getpid(), "SIGUSR1")
sleep(0)                            # a safe point: the handler has run
print("handled {count} signal(s)")

# 2. A child that cleans up on SIGTERM instead of dying at once. It tells
#    the parent it is ready (SIGUSR2), so the parent never signals too early.
let ready = false
signal("SIGUSR2", fn(name) { ready = true })
let worker = spawn {
    signal("SIGTERM", fn(name) {
        print("worker: got {name}, cleaning up")
        exit(0)                     # a clean end: exitcode 0
    })
    kill(getppid(), "SIGUSR2")      # "my handler is in place"
    while true { sleep(0.05) }
}
while not ready { sleep(0.01) }
worker.terminate()                  # sends SIGTERM
worker.join()
print("worker exitcode {worker.exitcode} (its handler chose 0)")

# 3. Without a handler, a signal ends the process; exitcode is -N.
let victim = spawn { sleep(60) }
kill(victim.pid, "SIGUSR1")         # SIGUSR1 is signal 10 on Linux
victim.join()
print("victim exitcode {victim.exitcode} (-10: killed by SIGUSR1)")
let stubborn = spawn { signal("SIGTERM", fn(n) { print("ignoring {n}") }); sleep(60) }
stubborn.kill()                     # SIGKILL cannot be caught or ignored
stubborn.join()
print("stubborn exitcode {stubborn.exitcode} (-9: SIGKILL)")

# 4. "ignore" and "default": Python's SIG_IGN and SIG_DFL.
let deaf = spawn {
    signal("SIGUSR1", "ignore")
    kill(getpid(), "SIGUSR1")       # dropped by the OS
    print("deaf: SIGUSR1 ignored, still here")
    signal("SIGUSR1", "default")
    kill(getpid(), "SIGUSR1")       # the default action: the process ends
    sleep(60)
}
deaf.join()
print("deaf exitcode {deaf.exitcode} (-10: the default action came back)")

# Ctrl-C (SIGINT) ends the whole program: every process, main included.
