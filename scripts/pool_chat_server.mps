# pool_chat_server.mps — connections accepted by the parent, served by a pool.
#
# Lesson: a pool's workers were started before any connection existed, so
# they cannot inherit one. Passing the socket to a task sends the
# descriptor itself to the worker (SCM_RIGHTS), which serves it: answering
# each line with who answered. The parent closes its own copy right away.
#
#   mpscript scripts/pool_chat_server.mps 8080 10   # serve 10 connections on port 8080
#
# With no arguments it picks a free port, starts four client processes, and
# stops after serving them.

fn serve(conn) {
    let lines = 0
    while true {
        let data = conn.recv(1024)
        if data == b"" { break }
        lines += 1
        conn.send("worker {getpid()} heard: {data.decode().strip()}\n")
    }
    conn.close()
    return lines
}

fn chat(port, name) {
    let c = connect("127.0.0.1", port, timeout=5)
    c.send("hi, I am {name}\n")
    let reply = c.recv(1024).decode().strip()
    c.close()
    print("{name}: {reply.split(" heard: ")[1]}")
}

let port = 0
let serve_count = 4
if len(args) >= 1 { port = int(args[0]) }
if len(args) >= 2 { serve_count = int(args[1]) }

let srv = listen("127.0.0.1", port)
pool workers = 2
print("chat server on port {srv.port}, {serve_count} connections, 2 pool workers")

let clients = []
if len(args) == 0 {
    for i in 0..serve_count { clients.push(spawn chat(srv.port, "client-{i}")) }
}

let results = []
for n in 0..serve_count {
    let conn = srv.accept()
    results.push(workers.apply_async(serve, conn))
    conn.close()
}
srv.close()
let total = 0
for r in results { total += r.get() }
for c in clients { c.join() }
print("{total} lines served by the pool")
