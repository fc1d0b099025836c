//! Process pools through the real binary. Concurrency tests
//! assert properties — results in order, counts, sets of pids — never an
//! interleaving. Every run has a `--timeout`, so a hang fails the test.

mod common;

use std::time::Duration;

use common::Run;

fn mps(args: &[&str]) -> Run {
    common::mps_timed("60", args)
}

/// Run a program that must succeed; its stdout.
fn ok(src: &str) -> String {
    common::ok_timed("60", src)
}

// ---- 1, 2: map, starmap, apply, async results ---------------------------------

#[test]
fn map_keeps_input_order() {
    let out = ok(r#"
pool p = 3
let xs = p.map(fn(x) { return x * 2 }, 0..100)
let want = []
for i in 0..100 { want.push(i * 2) }
print(xs == want, len(xs))
print(p.map(fn(x) { return x }, 0..10, chunksize=1))
print(p.map(fn(x) { return x }, []))
"#);
    assert_eq!(out, "true 100\n[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n[]\n");
}

#[test]
fn starmap_and_apply() {
    let out = ok(r#"
pool p = 2
print(p.starmap(fn(a, b) { return a * b }, [[1, 2], [3, 4], [5, 6]]))
print(p.apply(fn(a, b, c) { return a + b + c }, 1, 2, 3))
"#);
    assert_eq!(out, "[2, 12, 30]\n6\n");
}

#[test]
fn default_size_is_cpu_count() {
    let out = ok("pool p\nprint(p.size == cpu_count(), len(p.pids) == cpu_count())\nlet q = pool(2)\nprint(q.size)");
    assert_eq!(out, "true true\n2\n");
}

#[test]
fn apply_async_callbacks_collect_every_result_in_main() {
    let out = ok(r#"
pool p = 2
let got = []
let pids = []
let rs = []
for i in 0..10 {
    rs.push(p.apply_async(fn(x) { return x * x }, i, callback=fn(v) { got.push(v); pids.push(getpid()) }))
}
let direct = []
for r in rs { direct.push(r.get()) }
p.close()
p.join()
print(sorted(got))
print(direct)
let all_main = true
for pid in pids { if pid != getpid() { all_main = false } }
print(len(pids), all_main)
"#);
    assert_eq!(out, "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n10 true\n");
}

#[test]
fn map_async_and_result_methods() {
    let out = ok(r#"
pool p = 2
let seen = []
let r = p.map_async(fn(x) { return x + 1 }, [1, 2, 3], callback=fn(v) { seen.push(v) })
r.wait()
print(r.ready(), r.successful(), r.get(timeout=5.0))
let slow = p.apply_async(fn() { sleep(1.0); return 1 })
try { slow.get(timeout=0.05) } catch e { print("timeout:", e) }
print(slow.ready())
try { slow.successful() } catch e { print(e) }
print(slow.get())
p.close()
p.join()
print(seen)
"#);
    assert_eq!(
        out,
        "true true [2, 3, 4]\ntimeout: TimeoutError: the result did not arrive in time\nfalse\n\
         ValueError: the result is not ready yet\n1\n[[2, 3, 4]]\n"
    );
}

#[test]
fn large_maps_are_fast() {
    // 100,000 tiny tasks go in chunks: this takes well under a second.
    let out = ok(r#"
pool p = 2
let t0 = time()
let xs = p.map(fn(x) { return x * x }, 0..100000)
let dt = time() - t0
print(len(xs), xs[99999] == 99999 * 99999, dt < 10.0)
"#);
    assert_eq!(out, "100000 true true\n");
}

#[test]
fn close_join_terminate() {
    let out = ok(r#"
pool p = 2
try { p.join() } catch e { print(e) }
p.close()
try { p.map(fn(x) { return x }, [1]) } catch e { print(e) }
p.join()
pool t = 2
let r = t.apply_async(fn() { sleep(30.0) })
t.terminate()
t.join()
try { r.get() } catch e { print(e) }
print(t)
"#);
    assert_eq!(
        out,
        "ValueError: join() needs a closed pool\n\
         ValueError: the pool is not running (it was closed or terminated)\n\
         ProcessError: the pool was terminated before this task finished\n<pool size=2 ended>\n"
    );
}

// ---- 3: any function value is a task -----------------------------------------

#[test]
fn a_closure_using_a_function_defined_after_the_pool_works() {
    let out = ok(r#"
pool p = 2
fn helper(x) { return x * 10 }
fn make(k) { return fn(x) { return helper(x) + k } }
print(p.map(make(5), [1, 2, 3]))
print(p.apply(helper, 4))
print(p.map(str, [1, 2]))
"#);
    assert_eq!(out, "[15, 25, 35]\n40\n[\"1\", \"2\"]\n");
}

#[test]
fn workers_are_reused() {
    let out = ok(r#"
pool p = 2
let pids = {}
for round in 0..3 {
    for pid in p.map(fn(x) { return getpid() }, 0..50, chunksize=1) { pids[pid] = true }
}
print(len(pids) <= 2, getpid() in pids)
let listed = true
for pid in pids { if not (pid in p.pids) { listed = false } }
print(listed)
"#);
    assert_eq!(out, "true false\ntrue\n");
}

// ---- 4: callbacks run at waiting points -----------------------------------------

#[test]
fn callbacks_run_at_sleep_and_at_the_latest_at_join() {
    let out = ok(r#"
pool p = 2
event go
let got = []
p.apply_async(fn() { return 1 }, callback=fn(v) { got.push(v) })
# `sleep` is the only waiting point here: the callback runs inside it.
while len(got) == 0 { sleep(0.01) }
print("after sleep:", got)
p.apply_async(fn() { go.wait(); return 2 }, callback=fn(v) { got.push(v) })
print("before join:", got)
go.set()
p.close()
p.join()
print("after join:", got)
"#);
    assert_eq!(out, "after sleep: [1]\nbefore join: [1]\nafter join: [1, 2]\n");
}

// ---- 5: errors and dead workers ---------------------------------------------------

#[test]
fn an_error_in_a_task_reaches_get_and_error_callback() {
    let out = ok(r#"
pool p = 2
let errs = []
let r = p.apply_async(fn(x) { return 10 / x }, 0, error_callback=fn(e) { errs.push(e) })
try { r.get() } catch e { print("get:", e) }
print("successful:", r.successful())
print("callback:", errs)
try { p.map(fn(x) { if x == 7 { throw error("ValueError", "bad {x}") }; return x }, 0..20) } catch e { print("map:", e) }
"#);
    assert_eq!(
        out,
        "get: ZeroDivisionError: division by zero\nsuccessful: false\n\
         callback: [ZeroDivisionError: division by zero]\nmap: ValueError: bad 7\n"
    );
}

#[test]
fn an_uncaught_task_error_shows_the_workers_diagnostic() {
    let r = mps(&["-e", "pool p = 2\nfn bad(x) {\n  return 1 / x\n}\np.map(bad, [1, 0])\n"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("ZeroDivisionError"), "{}", r.stderr);
    assert!(r.stderr.contains("caused by:"), "{}", r.stderr);
    assert!(r.stderr.contains("in process PoolWorker-"), "{}", r.stderr);
    assert!(r.stderr.contains("return 1 / x"), "{}", r.stderr);
}

#[test]
fn killing_a_worker_mid_task_does_not_hang_the_pool() {
    let out = ok(r#"
pool p = 2
let before = sorted(p.pids)
fn f(x) {
    if x == 3 { kill(getpid(), "SIGKILL") }
    return x
}
try { p.map(f, 0..8, chunksize=1) } catch e { print("map:", e.kind) }
print(p.map(fn(x) { return x * 2 }, 0..5))
print(len(p.pids), sorted(p.pids) != before)
# Killed from outside while it runs a task.
event started
let r = p.apply_async(fn() { started.set(); sleep(30.0); return 1 })
started.wait()
for pid in p.pids { kill(pid, "SIGKILL") }
try { r.get(timeout=20.0) } catch e { print("get:", e.kind) }
print(p.apply(fn(x) { return x + 1 }, 1))
p.close()
p.join()
"#);
    assert_eq!(out, "map: ProcessError\n[0, 2, 4, 6, 8]\n2 true\nget: ProcessError\n2\n");
}

// ---- 6: end of program -------------------------------------------------------------

#[test]
fn open_pools_are_closed_and_joined_at_the_end() {
    // The callback of a task still running at the end runs before the exit.
    let out = ok(r#"
pool p = 2
p.apply_async(fn() { sleep(0.3); return "late" }, callback=fn(v) { print("callback:", v) })
print("main ends")
"#);
    assert_eq!(out, "main ends\ncallback: late\n");
}

fn ctrl_c_while_waiting_on(hint: &str, wait: &str) {
    let code =
        format!("pool p = 2\nlet r = p.apply_async(fn() {{ sleep(30) }})\nsleep(0.2)\nprint(\"ready\")\n{wait}\n");
    let s = common::Script::new(hint, &code);
    let arg = s.arg();
    let mut running = common::start(&[&arg], &arg);
    running.wait_line("ready");
    running.signal_group(libc::SIGINT);
    let out = running.finish(); // also proves no worker was left behind
    assert_eq!(out.code, Some(130), "{}", out.stderr);
    assert!(out.elapsed < Duration::from_secs(10), "took {:?}", out.elapsed);
}

#[test]
fn ctrl_c_ends_the_workers_too() {
    ctrl_c_while_waiting_on("pool_ctrl_c_get", "r.get()");
    ctrl_c_while_waiting_on("pool_ctrl_c_sleep", "sleep(30)");
}

#[test]
fn pool_waits_are_not_deadlocks() {
    // The owner waits for results while workers run: never a false alarm.
    let out = ok(r#"
pool p = 2
let r = p.apply_async(fn() { sleep(1.5); return "slow" })
print(p.map(fn(x) { sleep(0.7); return x }, [1, 2]))
print(r.get())
"#);
    assert_eq!(out, "[1, 2]\nslow\n");
}

#[test]
fn pools_stay_in_their_process() {
    let r = mps(&["-e", "pool p = 2\nqueue q\nq.put(p)\n"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("cannot be sent to another one"), "{}", r.stderr);
}

// ---- 7: scripts/ ---------------------------------------------------------------------

#[test]
fn pool_map_script() {
    let r = mps(&["scripts/pool_map.mps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("squares: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]"), "{}", r.stdout);
    assert!(r.stdout.contains("sums: [3, 7, 11]"), "{}", r.stdout);
    assert!(r.stdout.contains("apply: 144"), "{}", r.stdout);
    assert!(r.stdout.contains("closure: [11, 18, 37]"), "{}", r.stdout);
    assert!(r.stdout.contains("at most 2 worker pids: true main among them: false"), "{}", r.stdout);
    assert!(r.stdout.contains("caught: ZeroDivisionError"), "{}", r.stdout);
    assert!(r.stdout.ends_with("done\n"), "{}", r.stdout);
}

#[test]
fn pool_async_script() {
    let r = mps(&["scripts/pool_async.mps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("downloaded: 8 pages, 20000 bytes"), "{}", r.stdout);
    assert!(r.stdout.contains("failed: [\"IOError: cannot fetch https://example.org/broken\"]"), "{}", r.stdout);
}

#[test]
fn pool_vs_spawn_script() {
    let r = mps(&["scripts/pool_vs_spawn.mps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("sum: 328350 both ways"), "{}", r.stdout);
    assert!(r.stdout.contains("pool of 2, 100 tasks: "), "{}", r.stdout);
    assert!(r.stdout.contains("100 spawned processes: "), "{}", r.stdout);
}

// ---- seed fidelity: callbacks one at a time ------------------------------------

/// A callback that waits (sleep, a result's get) lets no other callback start
/// inside it: every "start" is followed by its own "end".
#[test]
fn callbacks_run_one_at_a_time_each_to_its_end() {
    let out = ok(r#"
pool p = 3
fn work(i) { return i }
fn cb(v) {
    print("start", v)
    sleep(0.05)
    let inner = p.apply_async(work, 100 + v, callback=fn(w) { print("inner", w) })
    inner.get()
    print("end", v)
}
let rs = []
for i in 0..6 { rs.push(p.apply_async(work, i, callback=cb)) }
for r in rs { r.wait() }
p.close()
p.join()
"#);
    let lines: Vec<&str> = out.lines().collect();
    let starts = lines.iter().filter(|l| l.starts_with("start ")).count();
    assert_eq!(starts, 6, "{out}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("inner ")).count(), 6, "{out}");
    // Between a start and the next line of another callback comes its own end.
    let mut open: Option<&str> = None;
    for l in &lines {
        match (open, l.split_once(' ')) {
            (None, Some(("start", v))) => open = Some(v),
            (Some(v), Some(("end", w))) if v == w => open = None,
            (None, Some(("inner", _))) => {}
            _ => panic!("callbacks nested at {l:?}:\n{out}"),
        }
    }
    assert_eq!(open, None, "{out}");
}

/// Joining a process is a waiting point too: a result that has arrived gets
/// its callback there (the loop would never end otherwise).
#[test]
fn callbacks_run_when_joining_a_process() {
    let out = ok(r#"
pool p = 1
let got = []
p.apply_async(fn(x) { return x * 2 }, 21, callback=fn(v) { got.push(v) })
let joins = 0
while len(got) == 0 {
    let c = spawn { }
    c.join()
    joins += 1
}
print(got, joins > 0)
"#);
    assert_eq!(out, "[42] true\n");
}

/// imap gives the results in order, imap_unordered each result once, in the
/// order they arrived: the first task waits until the other worker has
/// finished tasks 1 to 5 and taken task 6, so those five come first.
#[test]
fn imap_and_imap_unordered() {
    let out = ok(r#"
pool p = 2
event late
fn f(x) {
    if x == 0 { late.wait() } else if x == 6 { late.set() }
    return x * 10
}
let ordered = []
for v in p.imap(fn(x) { return x + 1 }, 0..5) { ordered.push(v) }
print(ordered)
let got = []
for v in p.imap_unordered(f, 0..7) { got.push(v) }
let firsts = []
for i in 0..5 { firsts.push(got[i]) }
print(sorted(got), firsts)
let total = 0
for v in p.imap_unordered(func=fn(x) { return x }, iterable=0..100, chunksize=7) { total += v }
print(total)
"#);
    assert_eq!(out, "[1, 2, 3, 4, 5]\n[0, 10, 20, 30, 40, 50, 60] [10, 20, 30, 40, 50]\n4950\n");
}

#[test]
fn an_error_kind_stays_real_or_forged_across_processes() {
    // A real Deadlock raised in a pool task is still real in the main
    // process (uncaught: exit code 3); a script's own error("Deadlock", …)
    // stays an ordinary error (exit code 1), through a pool and a queue.
    let real = "pool p = 1\np.apply(fn() { lock m\n m.acquire()\n m.acquire() })\n";
    let r = mps(&["-e", real]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("Deadlock"), "{}", r.stderr);
    let forged = "pool p = 1\np.apply(fn() { throw error(\"Deadlock\", \"mine\") })\n";
    let r = mps(&["-e", forged]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("Deadlock: mine"), "{}", r.stderr);
    let queued = "queue q\nlet c = spawn { lock m\n try { m.acquire()\n m.acquire() } catch e { q.put(e) }\n q.put(error(\"Deadlock\", \"mine\")) }\nlet real = q.get()\nlet forged = q.get()\nc.join()\nprint(real.kind, forged.kind)\ntry { throw forged } catch e { print(\"caught\", e.message) }\nthrow real\n";
    let r = mps(&["-e", queued]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stdout, "Deadlock Deadlock\ncaught mine\n", "{}", r.stderr);
}
