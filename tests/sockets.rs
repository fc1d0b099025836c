//! TCP sockets through the real binary, over loopback only (127.0.0.1,
//! port 0): servers with a process per connection and with a pool, sockets
//! sent through queues and pipes, end of stream, every error kind, waits
//! for the outside world (never a deadlock, ended at once by Ctrl-C and
//! `--timeout`), and no descriptor or process left behind. Every run has a
//! `--timeout`, so a hang fails instead of blocking the suite.

mod common;

use common::{run_with, Out};
use std::io::Write;
use std::time::Duration;

fn ok(hint: &str, code: &str) -> Out {
    let out = run_with(&["--timeout", "60"], hint, code);
    assert_eq!(out.code, Some(0), "{hint}: {}\n{}", out.stdout, out.stderr);
    out
}

#[test]
fn echo_server_serves_each_connection_in_its_own_process() {
    let out = common::run_args(&["--timeout", "60", "scripts/echo_server.mps"], "scripts/echo_server.mps");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for i in 0..3 {
        assert!(
            out.stdout.contains(&format!("client {i} got back: [\"hello\", \"from\", \"client {i}\"]")),
            "{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("served 3 connections"), "{}", out.stdout);
}

#[test]
fn pool_serves_four_connections_the_parent_accepted() {
    let path = "scripts/pool_chat_server.mps";
    let out = common::run_args(&["--timeout", "60", path], path);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for i in 0..4 {
        assert!(out.stdout.contains(&format!("client-{i}: hi, I am client-{i}")), "{}", out.stdout);
    }
    assert!(out.stdout.contains("4 lines served by the pool"), "{}", out.stdout);
}

#[test]
fn client_sends_what_input_reads() {
    let path = "scripts/echo_client.mps";
    let mut r = common::start(&["--timeout", "60", path], path);
    r.send("first line\nsécond\n");
    r.wait_line("> echo: sécond");
    r.close_stdin();
    let out = r.finish();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("echo: first line"), "{}", out.stdout);
}

#[test]
fn a_socket_goes_through_a_queue_and_a_pipe_to_a_process_that_answers() {
    let out = ok(
        "socket_queue",
        r#"
let srv = listen("127.0.0.1", 0)
queue q
pipe a, b
# Both started before the connections exist: they cannot inherit them.
let by_queue = spawn { let s = q.get(); s.send(b"queue got " + s.recv(10)); s.close() }
let by_pipe = spawn { let s = b.recv(); s.send(b"pipe got " + s.recv(10)); s.close() }
for way in ["queue", "pipe"] {
    let c = connect("127.0.0.1", srv.port, timeout=5)
    let conn = srv.accept(timeout=5)
    if way == "queue" { q.put(conn) } else { a.send(conn) }
    conn.close()                     # the other process has its own descriptor
    c.send(way.encode())
    print(c.recv(100, timeout=10))
    print("then", c.recv(100, timeout=10))
    c.close()
}
by_queue.join()
by_pipe.join()
"#,
    );
    assert_eq!(out.stdout, "b\"queue got queue\"\nthen b\"\"\nb\"pipe got pipe\"\nthen b\"\"\n");
}

#[test]
fn recv_gives_empty_bytes_once_the_peer_has_closed() {
    let out = ok(
        "socket_eof",
        r#"
let srv = listen("127.0.0.1", 0)
let c = connect("127.0.0.1", srv.port, timeout=5)
let conn = srv.accept(timeout=5)
let p = spawn { c.send("bye"); c.close() }
c.close()
p.join()
let got = b""
while true {
    let part = conn.recv(2, timeout=10)
    if part == b"" { break }
    got += part
}
print(got, conn.recv(10, timeout=10), conn.peer[0], type(conn.peer[1]), conn.port == srv.port)
"#,
    );
    assert_eq!(out.stdout, "b\"bye\" b\"\" 127.0.0.1 int true\n");
}

#[test]
fn every_error_kind_names_the_address() {
    let out = ok(
        "socket_errors",
        r#"
fn show(f) {
    try { f() } catch e { print(e.kind, "|", e.message) }
}
let srv = listen("127.0.0.1", 0)
let port = srv.port
show(fn() { listen("127.0.0.1", port) })
show(fn() { srv.accept(timeout=0.05) })
let c = connect("127.0.0.1", port, timeout=5)
let conn = srv.accept(timeout=5)
show(fn() { c.recv(10, timeout=0.05) })
# The server reads one byte of two and closes: the kernel resets the connection.
c.send(b"ab")
conn.recv(1, timeout=5)
conn.close()
show(fn() { c.recv(10, timeout=10) })
show(fn() { c.send(b"more") })
c.close()
show(fn() { c.send(b"x") })
srv.close()
show(fn() { connect("127.0.0.1", port, timeout=5) })
show(fn() { connect("no-such-host.invalid", 80, timeout=5) })
show(fn() { shared s = {"sock": listen("127.0.0.1", 0)} })
"#,
    );
    let lines = out.lines();
    let kinds: Vec<&str> = lines.iter().map(|l| l.split(" | ").next().unwrap_or("")).collect();
    assert_eq!(
        kinds,
        [
            "AddressInUseError",
            "TimeoutError",
            "TimeoutError",
            "ConnectionResetError",
            "BrokenPipeError",
            "OSError",
            "ConnectionRefusedError",
            "OSError",
            "TypeError"
        ],
        "{}",
        out.stdout
    );
    let port = lines[0].rsplit(':').nth(1).and_then(|p| p.split_whitespace().next()).unwrap_or("?").to_string();
    for line in &lines[..7] {
        assert!(line.contains(&format!("127.0.0.1:{port}")), "no address in: {line}");
    }
    assert!(lines[7].contains("no-such-host.invalid"), "{}", lines[7]);
}

#[test]
fn a_server_killed_mid_connection_gives_the_client_an_error_not_a_hang() {
    let out = ok(
        "socket_killed",
        r#"
let srv = listen("127.0.0.1", 0)
event accepted
let server = spawn { let conn = srv.accept(); accepted.set(); sleep(1000) }
let c = connect("127.0.0.1", srv.port, timeout=5)
accepted.wait()
c.send(b"unread")      # unread data: the kernel resets when the server dies
server.kill()
server.join()
try { print("got", c.recv(10)) } catch e { print(e.kind) }
print("exitcode", server.exitcode)
"#,
    );
    assert_eq!(out.stdout, "ConnectionResetError\nexitcode -9\n");
}

/// How many descriptors each of `pids` has open now.
fn open_fds(pids: &[i32]) -> Vec<usize> {
    pids.iter().map(|p| std::fs::read_dir(format!("/proc/{p}/fd")).map_or(0, |d| d.count())).collect()
}

#[test]
fn a_thousand_connections_leak_no_descriptor() {
    // The script stops at each `input()` while this test counts the
    // descriptors of the main process and of the pool's workers.
    let code = r#"
let srv = listen("127.0.0.1", 0)
pool p = 2
fn serve(conn) {
    conn.send(conn.recv(4, timeout=5))
    conn.close()
}
fn once(i, through_pool) {
    let c = connect("127.0.0.1", srv.port, timeout=5)
    let conn = srv.accept(timeout=5)
    c.send(b"ping")
    if through_pool {
        p.apply(serve, conn)     # the descriptor goes to a worker and back
    } else {
        conn.send(conn.recv(4, timeout=5))
    }
    assert(c.recv(4, timeout=5) == b"ping", "echo")
    if i % 2 == 0 { c.close(); conn.close() }   # the rest: closed when dropped
}
p.map(fn(x) { return x }, [1, 2, 3, 4])        # the workers have started
print("pids", p.pids)
input()
for i in 0..1000 { once(i, false) }
for i in 0..200 { once(i, true) }
print("after")
input()
"#;
    let script = common::Script::new("socket_fd_leak", code);
    let arg = script.arg();
    let mut r = common::start(&["--timeout", "120", &arg], &arg);
    let line = r.wait_line("pids");
    let mut pids: Vec<i32> = line
        .trim_start_matches("pids [")
        .trim_end_matches(']')
        .split(", ")
        .map(|p| p.trim().parse().expect("a pid"))
        .collect();
    pids.insert(0, r.pid);
    let before = open_fds(&pids);
    r.send("\n");
    r.wait_line("after");
    let after = open_fds(&pids);
    r.send("\n");
    let out = r.finish();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(before, after, "descriptors of main and workers {pids:?}");
}

#[test]
fn waiting_in_accept_is_never_a_deadlock() {
    // Every other process waits for ever on the main one; the main one
    // waits for a connection: only the outside world (this test) can end it.
    let code = r#"
queue q
let child = spawn { q.get() }
let srv = listen("127.0.0.1", 0)
print("port", srv.port)
let conn = srv.accept()
print("accepted", conn.recv(10))
q.put(1)
child.join()
"#;
    let script = common::Script::new("socket_outside", code);
    let arg = script.arg();
    let mut r = common::start(&["--timeout", "60", &arg], &arg);
    let line = r.wait_line("port");
    let port: u16 = line.trim_start_matches("port ").trim().parse().expect("a port");
    // Long enough for the deadlock detector to look several times.
    std::thread::sleep(Duration::from_millis(1500));
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.write_all(b"outside").expect("send");
    drop(s);
    let out = r.finish();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("accepted b\"outside\""), "{}", out.stdout);
}

#[test]
fn ctrl_c_ends_accept_recv_and_input_at_once() {
    let connected = "let c = connect(\"127.0.0.1\", srv.port)\nlet conn = srv.accept()\n";
    for (setup, wait) in [("", "srv.accept()"), (connected, "c.recv(10)"), ("", "input()")] {
        let src = format!("let srv = listen(\"127.0.0.1\", 0)\n{setup}print(\"waiting\")\n{wait}\n");
        let (out, took) = common::interrupt_waiting("socket_ctrl_c", &src);
        assert!(took < Duration::from_secs(10), "{wait}: took {took:?}");
        assert!(out.stderr.contains("KeyboardInterrupt"), "{wait}: {}", out.stderr);
    }
}

#[test]
fn timeout_option_ends_a_wait_in_recv() {
    let out = run_with(
        &["--timeout", "1"],
        "socket_timeout",
        "let srv = listen(\"127.0.0.1\", 0)\nlet c = connect(\"127.0.0.1\", srv.port)\nspawn { c.recv(10) }\nc.recv(10)\n",
    );
    assert_eq!(out.code, Some(124), "{}", out.stderr);
}

#[test]
fn ps_shows_a_process_waiting_on_a_socket() {
    let mut r = common::start(&[], "no marker: the process group is enough");
    r.send("let srv = listen(\"127.0.0.1\", 0)\nlet c = connect(\"127.0.0.1\", srv.port)\nlet k = srv.accept()\nlet p = spawn { k.recv(10) }\n");
    let table = loop {
        r.send(":ps\nprint(\"--\")\n");
        let lines = r.lines_until("--");
        let text = lines.join("\n");
        if text.contains("waiting for data on socket `k`") {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(table.contains("Process-1"), "{table}");
    r.send("c.send(b\"x\")\np.join()\n");
    r.close_stdin();
    let out = r.finish();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}
