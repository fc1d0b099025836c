# A pool's whole life with no work: pool(2); close(); join(). Unit: ms
# (lower is better). Usage: mpscript benches/pool_life.mps [REPS]
# (twin: benches/pool_life.py).
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
for i in 0..3 { (spawn fn() {}()).join() }
for r in 0..reps {
    let t0 = time()
    let p = pool(2)
    p.close()
    p.join()
    print("RESULT {(time() - t0) * 1000}")
}
