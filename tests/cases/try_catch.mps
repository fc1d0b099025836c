# §4: try / catch / finally / throw.
try {
    throw error("ValueError", "bad input")
} catch e {
    print(e.kind, e.message)
} finally {
    print("finally runs")
}
try { throw "message" } catch e { print(e.kind, e.message) }
# Runtime errors are caught the same way.
try { let x = 1 // 0 } catch e { print(e.kind, "-", e.message) }
try { [1][5] } catch e { print(e.kind) }
try { {"a": 1}["b"] } catch e { print(e.kind) }
try { undefined_name } catch e { print(e.kind) }
try { 1 + "a" } catch e { print(e.kind) }
try { assert(1 > 2, "math is broken") } catch e { print(e.kind, e.message) }
try { read_file("/no/such/file.txt") } catch e { print(e.kind) }
# finally runs on the way out of a function, too.
fn early() {
    try { return "returned" } finally { print("cleanup") }
}
print(early())
# An error passes through nested calls to the nearest catch.
fn inner() { throw error("KeyError", "deep") }
fn outer() { inner() }
try { outer() } catch e { print("caught", e.kind, e.message) }
# Rethrow.
try {
    try { throw "first" } catch e { throw error("Wrapped", "from " + e.message) }
} catch e2 {
    print(e2.kind, e2.message)
}
# try with only finally: the error still propagates.
try {
    try { throw "inner" } finally { print("inner finally") }
} catch e { print("outer caught", e.message) }
# catch without a name
try { throw "x" } catch { print("caught without a name") }
let err = error("just a message")
print(err.kind, err.message)
