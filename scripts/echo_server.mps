# echo_server.mps — a TCP echo server with one process per connection.
#
# Lesson: the parent only accepts; each connection gets its own child
# process (`spawn`), which inherits the connected socket. Both hold a copy
# of the descriptor, so the parent closes its copy at once — the
# connection ends when the child closes the last one.
#
#   mpscript scripts/echo_server.mps 8080 10   # serve 10 connections on port 8080
#   mpscript scripts/echo_client.mps 127.0.0.1 8080
#
# With no arguments it picks a free port and talks to itself: three client
# processes connect, and the server stops after serving them.

fn handle(conn) {
    let who = conn.peer
    while true {
        let data = conn.recv(1024)
        if data == b"" { break }            # b"": the client has closed
        conn.send(data)                     # send all of it back
    }
    conn.close()
    return who
}

fn client(port, i) {
    let c = connect("127.0.0.1", port, timeout=5)
    let got = []
    for word in ["hello", "from", "client {i}"] {
        c.send(word.encode())
        got.push(c.recv(1024).decode())
    }
    c.close()
    print("client {i} got back: {got}")
}

let port = 0
let serve = 3
if len(args) >= 1 { port = int(args[0]) }
if len(args) >= 2 { serve = int(args[1]) }

let srv = listen("127.0.0.1", port)
print("echo server on port {srv.port}, serving {serve} connections")

let clients = []
if len(args) == 0 {
    for i in 0..serve { clients.push(spawn client(srv.port, i)) }
}

let handlers = []
for n in 0..serve {
    let conn = srv.accept()
    handlers.push(spawn handle(conn))
    conn.close()                            # the child has its own copy
}
srv.close()
for h in handlers { h.join() }
for c in clients { c.join() }
print("served {len(handlers)} connections, each in its own process")
