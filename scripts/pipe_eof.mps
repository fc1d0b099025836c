# pipe_eof.mps — why unused pipe ends must be closed.
#
# Lesson: `recv` raises EOFError only when *every* write end is closed, in
# every process, and the data is drained. A spawned child inherits a copy of
# every end its parent had. If the reader still holds its own copy of the
# write end, no EOF ever comes: the reader would wait forever (here we only
# poll with a timeout to show it). Close the ends you do not use.

fn reader(w, r, close_mine) {
    if close_mine { w.close() }         # the fix: drop our copy of the write end
    let got = []
    while true {
        if not r.poll(timeout=0.5) {
            print("  reader: nothing for 0.5 s and no EOF: someone still holds a write end")
            return got
        }
        try {
            got.push(r.recv())
        } catch e {
            print("  reader: {e.kind} after {len(got)} items")
            return got
        }
    }
}

for close_mine in [false, true] {
    print("reader closes its write end: {close_mine}")
    pipe w -> r
    let p = spawn reader(w, r, close_mine)
    r.close()                           # the writer does not read
    for i in 0..3 { w.send(i) }
    w.close()                           # the writer is done
    p.join()
}
