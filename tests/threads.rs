//! Threads of one process (`thread f()`): names, shared globals, the GIL's
//! visible race and its lock fix, `local()`, every primitive between
//! threads, deadlocks between threads, daemon threads, Ctrl-C, and `spawn`
//! from a thread while other threads run. Real scripts through the real
//! binary; each run is checked for leftover processes.

mod common;

use common::{run, run_with, start, Script};

#[test]
fn names_idents_and_current_thread() {
    let out = run(
        "names",
        r#"
fn show() { print("in {current_thread().name}") }
print(current_thread().name)
let t = thread show()
let u = thread daemon show()
print("{t.name} {u.name} {t.daemon} {u.daemon}")
t.join()
u.join()
t.name = "Renamed"
print("{t.name} alive={t.is_alive()} ident_ok={t.ident > 0} {type(t)}")
let w = thread { current_thread().name = "Worker"; print("I am {current_thread().name}") }
w.join()
print(w.name)
"#,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let mut lines = out.lines();
    assert_eq!(lines.remove(0), "MainThread");
    assert_eq!(lines.remove(0), "Thread-1 Thread-2 false true");
    let mut two: Vec<&str> = lines.drain(..2).collect();
    two.sort();
    assert_eq!(two, ["in Thread-1", "in Thread-2"]);
    assert_eq!(lines, ["Renamed alive=false ident_ok=true thread", "I am Worker", "Worker"]);
}

#[test]
fn threads_share_the_process_globals_and_data() {
    let out = run(
        "shared_globals",
        r#"
let seen = []
let total = 0
let config = {"mode": "slow"}
fn work(i) {
    seen.push(i)
    total = total + i
    config["mode"] = "fast"
}
let ts = []
for i in 1..=5 { ts.push(thread work(i)) }
for t in ts { t.join() }
print("{sorted(seen)} {total} {config["mode"]}")
"#,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "[1, 2, 3, 4, 5] 15 fast\n");
}

const BALANCE: &str = r#"
let balance = 0
lock l
fn change_it(n) {
    balance = balance + n
    balance = balance - n
}
fn run_thread(n) {
    for i in range(300000) { LOCKED }
}
let t1 = thread run_thread(5)
let t2 = thread run_thread(8)
t1.join()
t2.join()
print(balance)
"#;

/// With the default switch interval, a switch falls between a read of
/// `balance` and its write now and then: within a few runs the total is off.
#[test]
fn the_balance_race_shows_up_with_the_default_switch_interval() {
    let code = BALANCE.replace("LOCKED", "change_it(n)");
    let mut results = Vec::new();
    // About one run in two loses an update; 20 runs all exact would mean
    // switches never fall between a read and its write.
    for _ in 0..20 {
        let out = run("balance_race", &code);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        let balance: i64 = out.stdout.trim().parse().expect("a number");
        results.push(balance);
        if balance != 0 {
            return;
        }
    }
    panic!("no lost update in {} runs: {results:?}", results.len());
}

#[test]
fn the_locked_balance_is_always_exact() {
    let code = BALANCE.replace("LOCKED", "lock l { change_it(n) }");
    for _ in 0..3 {
        let out = run("balance_lock", &code);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert_eq!(out.stdout, "0\n");
    }
}

#[test]
fn local_attributes_are_per_thread() {
    let out = run(
        "local",
        r#"
let data = local()
data.who = "main"
fn work(name) {
    data.who = name
    sleep(0.01)
    data.count = len(name)
    print("{current_thread().name}: {data.who} {data.count}")
}
let ts = [thread work("Alice"), thread work("Bob"), thread work("Carol")]
for t in ts { t.join() }
print("main: {data.who}")
try { print(data.count) } catch e { print(e.kind) }
let fresh = thread { try { print(data.who) } catch e { print("fresh: {e.kind}") } }
fresh.join()
"#,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let mut lines = out.lines();
    let mut three: Vec<&str> = lines.drain(..3).collect();
    three.sort();
    assert_eq!(three, ["Thread-1: Alice 5", "Thread-2: Bob 3", "Thread-3: Carol 5"]);
    assert_eq!(lines, ["main: main", "AttributeError", "fresh: AttributeError"]);
}

#[test]
fn a_queue_between_threads_loses_nothing() {
    let out = run(
        "queue_threads",
        r#"
let q = queue(maxsize=10)
let results = queue()
fn producer(k) { for i in range(400) { q.put(k * 1000 + i) } }
fn consumer() {
    let n = 0
    let s = 0
    while true {
        let x = q.get()
        if x == nil { break }
        n += 1
        s += x
    }
    results.put([n, s])
}
let cs = [thread consumer(), thread consumer()]
let ps = [thread producer(1), thread producer(2), thread producer(3)]
for p in ps { p.join() }
q.put(nil)
q.put(nil)
for c in cs { c.join() }
let a = results.get()
let b = results.get()
print("{a[0] + b[0]} {a[1] + b[1]}")
"#,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let want: i64 = (1..=3).map(|k| (0..400).map(|i| k * 1000 + i).sum::<i64>()).sum();
    assert_eq!(out.stdout, format!("1200 {want}\n"));
}

#[test]
fn event_sem_pipe_and_pool_work_between_threads() {
    let out = run(
        "primitives_threads",
        r#"
event go
let slots = sem(1)
let inside = 0
let most = 0
pipe a, b
fn worker(i) {
    go.wait()
    sem slots {
        inside += 1
        if inside > most { most = inside }
        sleep(0.005)
        inside -= 1
    }
    a.send(i)
}
let ts = []
for i in range(4) { ts.push(thread worker(i)) }
sleep(0.02)
go.set()
let got = []
for i in range(4) { got.push(b.recv()) }
for t in ts { t.join() }
print("{sorted(got)} most={most}")
let p = pool(2)
fn square(x) { return x * x }
let r = thread { print(p.map(square, [1, 2, 3])) }
r.join()
p.close()
p.join()
"#,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "[0, 1, 2, 3] most=1\n[1, 4, 9]\n");
}

#[test]
fn join_with_a_timeout_and_errors_of_threads() {
    let out = run(
        "join_timeout",
        r#"
event e
let t = thread { e.wait() }
t.join(0.05)
print("after timeout: {t.is_alive()}")
e.set()
t.join()
print("after set: {t.is_alive()}")
let bad = thread { print(1 / 0) }
bad.join()
let quits = thread { exit(5) }
quits.join()
try { current_thread().join() } catch err { print(err.kind) }
print("main goes on")
"#,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "after timeout: true\nafter set: false\nDeadlock\nmain goes on\n");
    assert!(out.stderr.contains("Exception in thread Thread-2:"), "{}", out.stderr);
    assert!(out.stderr.contains("ZeroDivisionError"), "{}", out.stderr);
}

#[test]
fn a_lock_belongs_to_the_thread_that_took_it() {
    let out = run(
        "lock_owner",
        r#"
lock l
let t = thread { l.acquire() }
t.join()
print(l.locked())
try { l.release() } catch e { print("{e.kind}: {e.message}") }
"#,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines = out.lines();
    assert_eq!(lines[0], "true");
    assert!(
        lines[1].starts_with("ValueError: release() of a lock this process does not hold: thread "),
        "{}",
        lines[1]
    );
}

/// `spawn` from a thread while the other threads compute and wait for the
/// GIL: each child runs its code and ends; nothing hangs or is left over.
#[test]
fn spawn_from_a_thread_while_other_threads_run() {
    let code = r#"
let stop = false
fn busy() { let x = 0; while not stop { x += 1 } }
fn child(i) { print("child {i}") }
fn spawner(k) {
    for i in range(25) {
        let p = spawn child(k * 100 + i)
        p.join()
        if p.exitcode != 0 { print("bad exitcode {p.exitcode}") }
    }
}
let busy_ones = [thread busy(), thread busy()]
let spawners = [thread spawner(1), thread spawner(2)]
for s in spawners { s.join() }
stop = true
for b in busy_ones { b.join() }
print("done")
"#;
    for _ in 0..3 {
        let out = run("spawn_from_thread", code);
        assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
        let mut children: Vec<&str> = out.lines().into_iter().filter(|l| l.starts_with("child ")).collect();
        children.sort();
        children.dedup();
        assert_eq!(children.len(), 50, "{}", out.stdout);
        assert!(!out.stdout.contains("bad"), "{}", out.stdout);
        assert!(out.stdout.ends_with("done\n"), "{}", out.stdout);
    }
}

#[test]
fn a_child_spawned_by_a_thread_is_a_one_thread_process() {
    let out = run(
        "child_of_thread",
        r#"
let q = queue()
let t = thread daemon { while true { sleep(0.001) } }
let s = thread {
    let p = spawn { q.put([current_process().name, current_thread().name]) }
    p.join()
}
s.join()
print(q.get())
"#,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "[\"Process-1\", \"MainThread\"]\n");
}

#[test]
fn a_lock_order_deadlock_between_threads_is_reported_with_exit_3() {
    let out = run(
        "thread_deadlock",
        r#"
lock a
lock b
event both
fn one() { lock a { both.wait(); lock b { print("one") } } }
fn two() { lock b { both.wait(); lock a { print("two") } } }
let t1 = thread one()
let t2 = thread two()
sleep(0.05)
both.set()
t1.join()
t2.join()
"#,
    );
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let e = &out.stderr;
    assert!(e.contains("Thread-1 (thread"), "{e}");
    assert!(e.contains("waits for lock `b`"), "{e}");
    assert!(e.contains("waits for lock `a`"), "{e}");
    assert!(e.contains("held by Thread-2"), "{e}");
    assert_eq!(e.matches("Deadlock").count(), 1, "reported once: {e}");
}

#[test]
fn a_daemon_thread_does_not_keep_the_process_alive() {
    let out = run(
        "daemon_thread",
        r#"
let n = 0
let d = thread daemon { while true { n += 1 } }
let w = thread { sleep(0.02) }
w.join()
print("main ends; daemon alive: {d.is_alive()}")
"#,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "main ends; daemon alive: true\n");
}

#[test]
fn the_process_waits_for_its_non_daemon_threads() {
    let out = run(
        "wait_threads",
        r#"
let t = thread { sleep(0.05); print("thread done") }
print("main code done")
"#,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "main code done\nthread done\n");
}

/// Ctrl-C (SIGINT to the group) while threads compute, wait on a queue and
/// sleep, and a child waits: exit 130, nothing left.
#[test]
fn ctrl_c_ends_every_thread_at_once() {
    for _ in 0..3 {
        let script = Script::new(
            "ctrl_c_threads",
            r#"
let q = queue()
fn spin() { while true { let x = 1 } }
let a = thread spin()
let b = thread { q.get() }
let c = thread daemon { while true { sleep(0.01) } }
let p = spawn { q.get() }
print("ready")
a.join()
"#,
        );
        let arg = script.arg();
        let mut running = start(&["--timeout", "30", &arg], &arg);
        running.wait_line("ready");
        running.signal_group(libc::SIGINT);
        let out = running.finish();
        assert_eq!(out.code, Some(130), "{}", out.stderr);
        assert!(out.stderr.contains("KeyboardInterrupt"), "{}", out.stderr);
    }
}

#[test]
fn timeout_ends_a_process_whose_threads_compute() {
    let out =
        run_with(&["--timeout", "0.3"], "timeout_threads", "let t = thread { while true { let x = 1 } }\nt.join()\n");
    assert_eq!(out.code, Some(124), "{}", out.stderr);
}

#[test]
fn setswitchinterval_checks_its_argument() {
    let out = run(
        "switchinterval",
        r#"
print(getswitchinterval())
setswitchinterval(0.001)
print(getswitchinterval())
try { setswitchinterval(0) } catch e { print(e.kind) }
"#,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "0.005\n0.001\nValueError\n");
}

#[test]
fn threads_are_lanes_of_the_trace() {
    let dir = std::env::temp_dir().join(format!("mpscript-thread-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let path = dir.join("t.json");
    let trace = path.display().to_string();
    let out = run_with(
        &["--trace", &trace],
        "trace_threads",
        "lock l\nfn w() { lock l { sleep(0.01) } }\nlet t = thread w()\nt.name = \"Worker\"\nw()\nt.join()\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let text = std::fs::read_to_string(&path).expect("the trace file");
    let _ = std::fs::remove_dir_all(&dir);
    let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let events = json["traceEvents"].as_array().expect("events");
    let names: Vec<String> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "process_name")
        .map(|e| e["args"]["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(names.iter().any(|n| n.starts_with("MainProcess")), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("Worker")), "{names:?}");
    let pids: std::collections::BTreeSet<i64> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["name"].as_str().is_some_and(|n| n.contains("lock")))
        .filter_map(|e| e["pid"].as_i64())
        .collect();
    assert_eq!(pids.len(), 2, "a lock slice in each thread's lane: {text}");
}

#[test]
fn ps_lists_threads() {
    let out = common::repl_piped(
        "event e\nlet t = thread { e.wait() }\nt.name = \"Waiter\"\nsleep(0.1)\n:ps\ne.set()\nt.join()\nprint(\"end\")\n",
    );
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{s}{}", String::from_utf8_lossy(&out.stderr));
    let line = s.lines().find(|l| l.contains("Waiter")).unwrap_or_else(|| panic!("no Waiter lane: {s}"));
    assert!(line.contains("waiting for event `e`") && line.contains("[thread]"), "{line}");
    assert!(s.ends_with("end\n"), "{s}");
}
