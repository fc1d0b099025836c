# exit: 1
# A script's own error whose kind has the name of one the runtime raises
# (KeyboardInterrupt, Deadlock, SystemExit, Terminated) is an ordinary
# error: catch stops it, it compares by name, and uncaught it exits 1.
try { throw error("KeyboardInterrupt", "x") } catch e { print(e.kind, e.message) }
try { throw error("Deadlock", "x") } catch e { print(e.kind, e.message, e.kind == "Deadlock") }
try { throw error("Deadlock", "every process is waiting") } catch e { print("caught", e.kind) }
try { throw error("Terminated", "x") } catch e { print(e.kind, e.message) }
try { throw error("SystemExit", "x") } catch e { print(e.kind, e.message) }
let a = spawn { throw error("KeyboardInterrupt", "child") }
let b = spawn { throw error("Deadlock", "child") }
a.join()
b.join()
print("exitcodes", a.exitcode, b.exitcode)
throw error("KeyboardInterrupt", "uncaught")
