//! Remote queues, dicts and pools (`manager(url, authkey=)`) against a real
//! Redis server: each test starts its own `redis-server` on a free loopback
//! port with a password and no persistence, and stops it at its end. When
//! `redis-server` is not installed these tests fail, saying how to install
//! it — they are never skipped.

mod common;

use common::{run_args, start, Out, Script};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "Willard-7f3a";

/// A `redis-server` of this test's own, stopped when dropped.
struct Redis {
    child: Child,
    port: u16,
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("its address").port()
}

impl Redis {
    fn start() -> Redis {
        let installed = Command::new("redis-server").arg("--version").stdout(Stdio::null()).status();
        assert!(
            installed.is_ok_and(|s| s.success()),
            "redis-server is not installed: the remote tests need a real server.\n\
             Install it with `apt-get install -y redis-server` (.ci/run does so when it is missing)."
        );
        // Another process may take the port between our look and the
        // server's bind: then the server exits, and we try another one.
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .args(["--requirepass", PASSWORD, "--daemonize", "no", "--loglevel", "warning"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start redis-server");
            let end = Instant::now() + Duration::from_secs(10);
            while Instant::now() < end {
                if child.try_wait().expect("try_wait").is_some() {
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Redis { child, port };
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start on a free loopback port");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The prologue of a test script: `m`, a manager of this server.
    fn prologue(&self) -> String {
        format!("let URL = \"{}\"\nlet KEY = \"{PASSWORD}\"\nlet m = manager(URL, authkey=KEY)\n", self.url())
    }

    /// Run `code` after the prologue.
    fn run(&self, hint: &str, code: &str) -> Out {
        let script = Script::new(hint, &format!("{}{code}", self.prologue()));
        let arg = script.arg();
        run_args(&["--timeout", "60", &arg], &arg)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ok(out: &Out) {
    assert_eq!(out.code, Some(0), "stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
}

fn as_refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

// ---- the seed's master and workers -------------------------------------------

#[test]
fn seed_master_with_two_workers_started_separately() {
    let redis = Redis::start();
    let url = redis.url();
    let args = |script: &str| vec!["--timeout".to_string(), "60".into(), script.into(), url.clone(), PASSWORD.into()];
    let master_args = args("scripts/distributed_master.mps");
    let worker_args = args("scripts/distributed_worker.mps");
    let mut master = start(&as_refs(&master_args), "distributed_master.mps");
    let put = master.lines_until("Try get results");
    let workers = [
        start(&as_refs(&worker_args), "distributed_worker.mps"),
        start(&as_refs(&worker_args), "distributed_worker.mps"),
    ];
    let master = master.finish();
    ok(&master);
    let mut ran = Vec::new();
    for w in workers {
        let out = w.finish();
        ok(&out);
        assert!(out.stdout.contains("worker exit."), "{}", out.stdout);
        ran.extend(out.lines().iter().filter_map(|l| l.strip_prefix("run task ")).map(|l| l.to_string()));
    }
    let mut sent: Vec<i64> =
        put.iter().filter_map(|l| l.strip_prefix("Put task ")?.strip_suffix("...")?.parse().ok()).collect();
    assert_eq!(sent.len(), 10, "{put:?}");
    let mut got: Vec<i64> = master
        .lines()
        .iter()
        .filter_map(|l| {
            let (n, square) = l.strip_prefix("Result: ")?.split_once(" * ")?;
            let n: i64 = n.parse().ok()?;
            assert!(square.ends_with(&format!(" = {}", n * n)), "{l}");
            Some(n)
        })
        .collect();
    sent.sort();
    got.sort();
    assert_eq!(got, sent, "every task's result exactly once:\n{}", master.stdout);
    assert_eq!(ran.len(), 10, "each task ran once, on one of the two workers: {ran:?}");
}

// ---- errors ------------------------------------------------------------------

#[test]
fn a_wrong_authkey_is_an_authentication_error_and_is_never_printed() {
    let redis = Redis::start();
    let code = format!("let m = manager(\"{}\", authkey=\"not-the-Willard-key\")\nprint(\"connected\")\n", redis.url());
    let script = Script::new("wrong-authkey", &code);
    let arg = script.arg();
    let out = run_args(&["--timeout", "30", &arg], &arg);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("AuthenticationError"), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("127.0.0.1:{}", redis.port)), "{}", out.stderr);
    assert!(!out.stdout.contains("connected"));
    // The diagnostic quotes the source line; the message itself holds no key.
    let message = out.stderr.lines().find(|l| l.contains("AuthenticationError")).unwrap_or_default();
    assert!(!message.contains("not-the-Willard-key"), "{message}");

    // No authkey at all, where the server asks for one; and the worker command.
    let out = run_args(&["-e", &format!("manager(\"{}\")", redis.url())], "no-authkey");
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("AuthenticationError"), "{}", out.stderr);
    let out = run_args(&["worker", &redis.url(), "--authkey", "nope-Willard", "--pool", "p"], "worker-authkey");
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("AuthenticationError") && !out.stderr.contains("nope-Willard"), "{}", out.stderr);
}

#[test]
fn an_unreachable_server_is_a_connection_error_naming_it() {
    let port = free_port();
    let code = format!(
        "try {{ manager(\"redis://127.0.0.1:{port}/0\", authkey=\"k\") }} catch e {{ print(e.kind) }}\n\
         manager(\"redis://127.0.0.1:{port}/0\")\n"
    );
    let out = common::run("unreachable", &code);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(out.stdout, "ConnectionError\n");
    assert!(out.stderr.contains(&format!("ConnectionError: cannot reach the Redis server at 127.0.0.1:{port}")));
    let bad = common::run("bad-url", "manager(\"http://example\")\n");
    assert_eq!(bad.code, Some(1));
    assert!(bad.stderr.contains("ValueError") && bad.stderr.contains("redis://"), "{}", bad.stderr);
}

#[test]
fn a_server_lost_mid_wait_is_an_error_not_a_hang() {
    let mut redis = Redis::start();
    let script =
        Script::new("lost", &format!("{}let q = m.queue(\"w\")\nprint(\"waiting\")\nq.get()\n", redis.prologue()));
    let arg = script.arg();
    let mut running = start(&["--timeout", "60", &arg], &arg);
    running.wait_line("waiting");
    redis.stop();
    let out = running.finish();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("ConnectionError"), "{}", out.stderr);
}

#[test]
fn ctrl_c_ends_a_remote_wait_promptly() {
    let redis = Redis::start();
    let code = format!("{}let q = m.queue(\"w\")\nprint(\"waiting\")\nq.get()\n", redis.prologue());
    let (out, after) = common::interrupt_waiting("remote-ctrl-c", &code);
    assert_eq!(out.code, Some(130), "{}", out.stderr);
    assert!(after < Duration::from_secs(10), "{after:?}");
}

// ---- values ---------------------------------------------------------------------

#[test]
fn values_and_closures_round_trip() {
    let redis = Redis::start();
    let out = redis.run(
        "round-trip",
        r#"
let values = [nil, true, false, 0, -7, 9223372036854775807, -9223372036854775808, 2.5, -0.0, 1e300,
              "", "hé ☃", "x" * 5000, [], [1, [2, [3]]], {}, {"a": 1, 2: "b", nil: [true]}, 0..3, 1..=4,
              error("ValueError", "bad"), b"", b"h\xc3\xa9llo", bytes([0, 255, 10]), [b"in a list", {"k": b"\x00"}]]
let q = m.queue("values")
for v in values { q.put(v) }
let base = 100
let add = fn(x) { return x + base }
fn fact(n) { if n <= 1 { return 1 }; return n * fact(n - 1) }
q.put(add)
q.put([fact, add])
let child = spawn fn() {
    let q = manager(URL, authkey=KEY).queue("values")
    let back = m.queue("back")
    for v in values { back.put([q.get(), v]) }
    let f = q.get()
    let pair = q.get()
    back.put([f(1), pair[0](5), pair[1](2)])
}()
child.join()
let back = m.queue("back")
let same = 0
for v in values {
    let got = back.get(timeout=10)
    if got[0] == got[1] and type(got[0]) == type(got[1]) and str(got[0]) == str(got[1]) { same += 1 } else { print("differs:", got) }
}
print("same", same, "of", len(values))
print("closures", back.get(timeout=10))
let d = m.dict("values")
for i, v in enumerate(values) { d[i] = v }
let ok = 0
for i, v in enumerate(values) { if str(d[i]) == str(v) { ok += 1 } }
let idx = []
for i in 0..len(values) { idx.push(i) }
print("dict", ok, "keys in order:", d.keys() == idx)
"#,
    );
    ok(&out);
    assert_eq!(out.stdout, "same 24 of 24\nclosures [101, 120, 102]\ndict 24 keys in order: true\n");
}

// ---- queues -------------------------------------------------------------------

#[test]
fn a_bounded_remote_queue_blocks_and_times_out() {
    let redis = Redis::start();
    let out = redis.run(
        "maxsize",
        r#"
let q = m.queue("bounded", maxsize=2)
q.put(1); q.put(2)
print(q.full(), q.qsize(), q.maxsize)
let t0 = time()
try { q.put(3, timeout=0.3) } catch e { print("put:", e.kind, time() - t0 >= 0.3) }
try { q.put_nowait(3) } catch e { print("put_nowait:", e.kind) }
try { m.queue("bounded", maxsize=5) } catch e { print("resize:", e.kind) }
print("same queue elsewhere:", m.queue("bounded").maxsize)
# A putter blocks until a getter makes room.
let getter = spawn fn() { sleep(0.3); manager(URL, authkey=KEY).queue("bounded").get() }()
q.put(3)
print("put 3 after a get")
getter.join()
print(q.get(), q.get(), q.empty())
try { q.get(timeout=0.2) } catch e { print("get:", e.kind) }
try { q.get_nowait() } catch e { print("get_nowait:", e.kind) }
q.task_done(); q.task_done(); q.task_done()
try { q.task_done() } catch e { print("task_done:", e.kind) }
print("join:", q.join(timeout=1))
"#,
    );
    ok(&out);
    assert_eq!(
        out.stdout,
        "true 2 2\nput: Full true\nput_nowait: Full\nresize: ValueError\nsame queue elsewhere: 2\n\
         put 3 after a get\n2 3 true\nget: Empty\nget_nowait: Empty\ntask_done: ValueError\njoin: true\n"
    );
}

#[test]
fn join_waits_for_every_task_done_across_processes() {
    let redis = Redis::start();
    let out = redis.run(
        "join",
        r#"
let q = m.queue("jobs")
for i in 0..6 { q.put(i) }
print("done before:", q.join(timeout=0.2))
fn worker() {
    let q = manager(URL, authkey=KEY).queue("jobs")
    while true {
        let n = nil
        try { n = q.get(timeout=0.5) } catch e { break }
        sleep(0.02)
        q.task_done()
    }
}
let ws = [spawn worker(), spawn worker()]
q.join()
print("joined, left:", q.qsize())
for w in ws { w.join() }
"#,
    );
    ok(&out);
    assert_eq!(out.stdout, "done before: false\njoined, left: 0\n");
}

// ---- dicts ----------------------------------------------------------------------

#[test]
fn lock_on_a_remote_dict_counts_to_400_across_4_processes() {
    let redis = Redis::start();
    let out = redis.run(
        "lock",
        r#"
let d = m.dict("stats")
d["count"] = 0
fn work() {
    let d = manager(URL, authkey=KEY).dict("stats")
    for i in 0..100 { lock d { d["count"] += 1 } }
}
let ps = []
for i in 0..4 { ps.push(spawn work()) }
for p in ps { p.join() }
print(d["count"], len(d), "count" in d, "x" in d, d.get("x", 7))
d["b"] = 2
print(d.keys(), d.items(), d.snapshot())
print(d.pop("b"), d.keys())
"#,
    );
    ok(&out);
    assert_eq!(out.stdout, "400 1 true false 7\n[\"count\", \"b\"] [[\"count\", 400], [\"b\", 2]] {\"count\": 400, \"b\": 2}\n2 [\"count\"]\n");
}

#[test]
fn a_crashed_lock_holder_on_this_machine_frees_the_lock() {
    let redis = Redis::start();
    let out = redis.run(
        "lock-crash",
        r#"
let d = m.dict("crash")
let held = m.queue("held")
let holder = spawn fn() {
    let d = manager(URL, authkey=KEY).dict("crash")
    lock d { manager(URL, authkey=KEY).queue("held").put(1); sleep(60) }
}()
held.get(timeout=10)
holder.kill()
holder.join()
let t0 = time()
lock d { print("taken after the holder died") }
print("quickly:", time() - t0 < 5)
"#,
    );
    ok(&out);
    assert_eq!(out.stdout, "taken after the holder died\nquickly: true\n");
}

// ---- pools ----------------------------------------------------------------------

/// `mpscript worker` serving pool `name` of `redis` with `procs` processes.
fn worker(redis: &Redis, name: &str, procs: &str) -> common::Running {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let url = redis.url();
    // Workers of one test share their command line: each is told from the
    // others by its process group alone (its processes stay in it).
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let marker = format!("<worker {n} of test process {}>", std::process::id());
    start(&["worker", &url, "--authkey", PASSWORD, "--pool", name, "--procs", procs], &marker)
}

/// End the workers as Ctrl-C does, and check they leave nothing behind.
fn stop(workers: Vec<common::Running>) {
    for w in &workers {
        w.signal_group(libc::SIGINT);
    }
    for w in workers {
        let out = w.finish();
        assert_eq!(out.code, Some(130), "{}", out.stderr);
    }
}

#[test]
fn a_remote_pool_served_by_two_worker_commands() {
    let redis = Redis::start();
    let workers = vec![worker(&redis, "jobs", "1"), worker(&redis, "jobs", "1")];
    let out = redis.run(
        "pool",
        r#"
let p = m.pool("jobs")
let k = 10
fn sq(x) { sleep(0.1); return [x * x + k, getppid()] }
let out = p.map(sq, range(16))
print("map", len(out))
let values = []
let servers = {}
for r in out { values.push(r[0]); servers[r[1]] = true }
print(values)
print("servers", len(servers))
print(p.starmap(fn(a, b) { return a * b }, [[2, 3], [4, 5]]))
print(p.apply(fn(a, b=1) { return a + b }, 2, kwds={"b": 40}))
let got = []
let r = p.apply_async(sq, 3, callback=fn(v) { got.push(v[0]) })
print(r.get(timeout=20)[0], got)
let neg = []
for v in p.imap(fn(x) { return -x }, [1, 2, 3]) { neg.push(v) }
print(neg)
try { p.apply(fn() { return 1 / 0 }) } catch e { print(e.kind) }
p.close()
p.join()
print(got)
"#,
    );
    stop(workers);
    ok(&out);
    let squares: Vec<String> = (0..16).map(|x| (x * x + 10).to_string()).collect();
    let want = format!(
        "map 16\n[{}]\nservers 2\n[6, 20]\n42\n19 [19]\n[-1, -2, -3]\nZeroDivisionError\n[19]\n",
        squares.join(", ")
    );
    assert_eq!(out.stdout, want, "{}", out.stderr);
}

#[test]
fn a_task_error_names_the_worker_and_its_host() {
    let redis = Redis::start();
    let workers = vec![worker(&redis, "errs", "1")];
    let out = redis.run("pool-error", "let p = m.pool(\"errs\")\np.apply(fn(x) { return x[5] }, [1])\n");
    stop(workers);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("IndexError"), "{}", out.stderr);
    assert!(out.stderr.contains("RemoteWorker-1@"), "the worker's diagnostic with its host:\n{}", out.stderr);
}

#[test]
fn a_worker_killed_mid_task_does_not_lose_the_task() {
    let redis = Redis::start();
    let workers = vec![worker(&redis, "jobs", "2")];
    let out = redis.run(
        "killed",
        r#"
let started = m.queue("started")
let tries = m.dict("tries")
tries["n"] = 0
fn slow(x) {
    let m = manager(URL, authkey=KEY)
    let d = m.dict("tries")
    let n = 0
    lock d { d["n"] += 1; n = d["n"] }
    m.queue("started").put(getpid())
    if n == 1 { sleep(60) }
    return x * 10
}
let p = m.pool("jobs")
let r = p.apply_async(slow, 4)
let pid = started.get(timeout=20)
kill(pid, "SIGKILL")
print("result", r.get(timeout=30))
print("ran again on another process:", started.get(timeout=5) != pid, "tries", tries["n"])
"#,
    );
    stop(workers);
    ok(&out);
    assert_eq!(out.stdout, "result 40\nran again on another process: true tries 2\n");
}

// ---- visibility -----------------------------------------------------------------

#[test]
fn a_remote_wait_shows_in_the_trace_and_in_ps_and_is_no_deadlock() {
    let redis = Redis::start();
    let dir = std::env::temp_dir().join(format!("mpscript-remote-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let json = dir.join("t.json");
    let code = format!(
        "{}let q = m.queue(\"idle\")\ntry {{ q.get(timeout=0.3) }} catch e {{ print(e.kind) }}\n\
         let c = spawn fn() {{ manager(URL, authkey=KEY).queue(\"idle\").get() }}()\n\
         sleep(0.5)\nprint(c.is_alive())\nm.queue(\"idle\").put(1)\nc.join()\nprint(\"joined\")\n",
        redis.prologue()
    );
    let script = Script::new("remote-trace", &code);
    let (arg, j) = (script.arg(), json.display().to_string());
    // The child waits on the server while main sleeps: all waiting, yet no deadlock.
    let out = run_args(&["--timeout", "60", "--trace", &j, &arg], &arg);
    ok(&out);
    assert_eq!(out.stdout, "Empty\ntrue\njoined\n");
    let trace = std::fs::read_to_string(&json).expect("trace written");
    assert!(trace.contains("\"cat\":\"wait,remote\""), "{trace}");
    let _ = std::fs::remove_dir_all(&dir);

    // Main joins a child that waits on the server, for longer than the
    // deadlock detector's settling time: no deadlock; an outside put ends it.
    let code = format!(
        "{}let c = spawn fn() {{ print(\"waiting\"); manager(URL, authkey=KEY).queue(\"outside\").get() }}()\n\
         c.join()\nprint(\"joined\", c.exitcode)\n",
        redis.prologue()
    );
    let script = Script::new("remote-join", &code);
    let arg = script.arg();
    let mut running = start(&["--timeout", "60", &arg], &arg);
    running.wait_line("waiting");
    std::thread::sleep(Duration::from_millis(1500));
    let put = redis.run("outside-put", "m.queue(\"outside\").put(1)\n");
    ok(&put);
    let out = running.finish();
    ok(&out);
    assert_eq!(out.stdout, "waiting\njoined 0\n");

    let ps = common::repl_piped(&format!(
        "{}let c = spawn fn() {{ manager(URL, authkey=KEY).queue(\"idle2\").get() }}()\nsleep(0.5)\n:ps\nm.queue(\"idle2\").put(1)\nc.join()\n",
        redis.prologue()
    ));
    let text = String::from_utf8_lossy(&ps.stdout);
    assert!(text.contains("waiting for a remote server (Redis)"), "{text}\n{}", String::from_utf8_lossy(&ps.stderr));
}
