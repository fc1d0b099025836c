# echo_client.mps — a TCP client that sends what you type.
#
# Lesson: `input()` waits for the outside world (you), and so does `recv`
# on a socket: neither is ever mistaken for a deadlock, and Ctrl-C ends
# either at once. Each line read is sent as UTF-8 bytes; the reply is
# printed until end of input (Ctrl-D).
#
#   mpscript scripts/echo_client.mps 127.0.0.1 8080
#
# With no arguments it starts its own echo server in a child process; with
# no input at all it sends two lines of its own.

fn echo_once(srv) {
    let conn = srv.accept()
    while true {
        let data = conn.recv(1024)
        if data == b"" { break }
        conn.send(data)
    }
    conn.close()
}

let host = "127.0.0.1"
let port = 0
let server = nil
if len(args) >= 2 {
    host = args[0]
    port = int(args[1])
} else {
    let srv = listen(host, 0)
    port = srv.port
    server = spawn echo_once(srv)
    srv.close()
}

let c = connect(host, port, timeout=5)
print("connected to {host}:{port} from port {c.port}")
let sent = 0
while true {
    let line = ""
    try { line = input("> ") } catch e { break }      # EOFError: end of input
    c.send(line.encode())
    print("echo: {c.recv(4096).decode()}")
    sent += 1
}
if sent == 0 {
    for line in ["hello", "héllo wörld"] {
        c.send(line)                           # a str is sent as UTF-8
        let reply = c.recv(4096)
        print("echo: {reply.decode()} ({len(reply)} bytes: {reply})")
    }
}
c.close()
if server != nil { server.join() }
