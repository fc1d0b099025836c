# Connections handed to a pool: a client process makes 2,000 connections,
# one after another; the parent accepts each and hands it to pool(2), whose
# task answers one byte and closes. Pool start excluded.
# Unit: connections/s (higher is better).
# Usage: mpscript benches/tcp_pool_accept.mps [REPS]   (twin: benches/tcp_pool_accept.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 2_000

fn serve(conn) {
    conn.send(b"k")
    conn.close()
}

fn clients(port, k) {
    for i in 0..k {
        let c = connect("127.0.0.1", port)
        c.recv(1)
        c.close()
    }
}

let srv = listen("127.0.0.1", 0, 1024)
pool p = 2
p.map(fn(x) { return x }, [1, 2])
for r in 0..reps {
    let t0 = time()
    let cl = spawn clients(srv.port, n)
    let results = []
    for i in 0..n {
        let conn = srv.accept()
        results.push(p.apply_async(serve, conn))
        conn.close()
    }
    for res in results { res.get() }
    cl.join()
    let dt = time() - t0
    print("RESULT {n / dt}")
}
