# rlock_recursion.mps — a lock a function can take again.
#
# Lesson: a plain lock taken twice by the same process would wait for
# itself for ever (mpscript reports that as a Deadlock error). An rlock
# remembers its owner and how many times it took it: the owner may take it
# again (a recursive function, or one locked method calling another), and
# it is free once released as many times. Only the owner may release it.
let r = rlock()
shared tree = {"a": ["b", "c"], "b": ["d"], "c": [], "d": []}

fn count(node) {
    lock r {                          # taken again at every level of the recursion
        let n = 1
        for child in tree[node] { n += count(child) }
        return n
    }
}

print("nodes under a: {count("a")}")
print("free again: {not r.locked()}")

lock r {
    let p = spawn {
        try { r.release() } catch e { print("another process cannot release it: {e.kind}") }
    }
    p.join()
}

lock l
try {
    lock l { lock l { } }
} catch e {
    print("a plain lock taken twice: {e.kind}")
}
