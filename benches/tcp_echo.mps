# TCP echo: one loopback connection, a child process echoes what it
# receives; 20,000 round trips of 16 bytes after one untimed warm-up.
# Unit: round trips/s (higher is better).
# Usage: mpscript benches/tcp_echo.mps [REPS]   (twin: benches/tcp_echo.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }
let n = 20_000
let msg = b"0123456789abcdef"

fn echo(conn, client) {
    client.close()                  # the child's copy of the client end
    while true {
        let data = conn.recv(4096)
        if data == b"" { break }
        conn.send(data)
    }
}

let srv = listen("127.0.0.1", 0)
for r in 0..reps {
    let c = connect("127.0.0.1", srv.port)
    let conn = srv.accept()
    let p = spawn echo(conn, c)
    conn.close()
    c.send(msg)
    c.recv(4096)
    let t0 = time()
    for i in 0..n {
        c.send(msg)
        c.recv(4096)
    }
    let dt = time() - t0
    c.close()
    p.join()
    print("RESULT {n / dt}")
}
