# 09_pipes.mps — solution: a pipeline that ends by EOF, stage by stage.
pipe a_w -> a_r
pipe b_w -> b_r
fn doubler() {
    a_w.close(); b_r.close()
    while true {
        let n = nil
        try { n = a_r.recv() } catch e { break }
        b_w.send(n * 2)
    }
    b_w.close()
}
fn printer() {
    a_w.close(); a_r.close(); b_w.close()
    let total = 0
    while true {
        let n = nil
        try { n = b_r.recv() } catch e { break }
        print("got {n}")
        total += n
    }
    print("sum: {total}")
    assert(total == 30, "2 + 4 + 6 + 8 + 10")
}
let d = spawn doubler()
let p = spawn printer()
a_r.close(); b_w.close(); b_r.close()
for i in 1..=5 { a_w.send(i) }
a_w.close()
d.join(); p.join()
assert(d.exitcode == 0 and p.exitcode == 0, "both stages ended at EOF")
