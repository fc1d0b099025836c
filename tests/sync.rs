//! lock, sem, event and shared objects,
//! through the real binary. Concurrency tests assert properties — counts,
//! bounds, orderings that must always hold — never one lucky interleaving.
//! Every run has a `--timeout`, so a hang fails instead of blocking the suite.

mod common;

use std::time::Duration;

use common::{number_after, Run};

fn mps(args: &[&str]) -> Run {
    common::mps_timed("30", args)
}

fn code(src: &str) -> Run {
    mps(&["-e", src])
}

/// Run a program that must succeed; its stdout.
fn ok(src: &str) -> String {
    common::ok_timed("30", src)
}

// ---- scripts/ -------------------------------------------------------------

#[test]
fn locked_ticket_sale_sells_exactly_the_tickets_there_are() {
    let r = mps(&["scripts/ticket_lock.mps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(number_after(&r.stdout, "sold:"), 10);
    assert_eq!(number_after(&r.stdout, "left:"), 0);
    assert_eq!(r.stdout.matches(" got ticket ").count(), 10);
    assert_eq!(r.stdout.matches("sold out").count(), 10);
}

#[test]
fn unlocked_ticket_sale_oversells() {
    let r = mps(&["scripts/ticket_race.mps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The sleep between read and write lets every early buyer read 10.
    assert!(number_after(&r.stdout, "sold:") > 10, "{}", r.stdout);
}

#[test]
fn ktv_never_has_more_than_four_singers() {
    let r = mps(&["scripts/ktv.mps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.matches(" sings (").count(), 20);
    let most = number_after(&r.stdout, "most singers at once:");
    assert!((1..=4).contains(&most), "{}", r.stdout);
    assert_eq!(number_after(&r.stdout, "permits back:"), 4);
}

#[test]
fn traffic_light_lets_every_car_pass() {
    let r = mps(&["scripts/traffic_light.mps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for i in 1..=5 {
        assert_eq!(r.stdout.matches(&format!("car {i} passes")).count(), 1, "{}", r.stdout);
    }
    // No car passes before the light's first "red" phase is over.
    assert!(r.stdout.find("red").unwrap() < r.stdout.find("passes").unwrap());
}

#[test]
fn counter_with_lock_ends_at_zero() {
    let r = mps(&["scripts/counter.mps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(number_after(&r.stdout, "with a lock:"), 0);
    // Lost updates only leave it higher, but every process's writes land:
    // the last write stored some value read minus one, so it is below 1000
    // (1000 means no write reached the shared dict), and never negative.
    let unlocked = number_after(&r.stdout, "without a lock:");
    assert!((0..=999).contains(&unlocked), "{}", r.stdout);
}

// ---- lock -----------------------------------------------------------------

#[test]
fn four_times_a_thousand_locked_increments_give_4000() {
    let out = ok(r#"
lock l
shared n = 0
shared d = {"count": 0}
fn work(k) {
    for i in 0..k {
        lock l { n.value += 1 }
        lock d { d["count"] += 1 }
    }
}
let ps = []
for i in 0..4 { ps.push(spawn work(1000)) }
for p in ps { p.join() }
print(n.value, d["count"])
"#);
    assert_eq!(out, "4000 4000\n");
}

#[test]
fn acquire_release_and_block_form() {
    let out = ok(r#"
let l = lock()
print(l.acquire(), l.locked())
l.release()
print(l.locked(), l.acquire(block=false), l.acquire(false))
l.release()
fn early() { lock l { return "returned" } }
print(early(), l.locked())
for i in 0..3 { lock l { if i == 1 { break } } }
print(l.locked())
try { lock l { throw "boom" } } catch e { print(e.message, l.locked()) }
let locks = [lock(), lock()]
lock locks[1] { print(locks[1].locked(), locks[0].locked()) }
"#);
    assert_eq!(out, "true true\nfalse true false\nreturned false\nfalse\nboom false\ntrue false\n");
}

#[test]
fn a_second_acquire_by_the_owner_names_both_lines() {
    let r = code("lock l\nl.acquire()\nprint(1)\nl.acquire()\n");
    assert_eq!(r.code, 3, "an uncaught Deadlock exits 3");
    assert!(r.stderr.contains("Deadlock"), "{}", r.stderr);
    assert!(r.stderr.contains(":2:") && r.stderr.contains(":4:"), "{}", r.stderr);
    assert!(r.stderr.contains("first taken here"), "{}", r.stderr);
    // Also in the block form, nested.
    let r = code("lock l\nlock l {\n    lock l { }\n}\n");
    assert_eq!(r.code, 3, "an uncaught Deadlock exits 3");
    assert!(r.stderr.contains(":2:") && r.stderr.contains(":3:"), "{}", r.stderr);
}

#[test]
fn release_by_a_non_owner_is_an_error() {
    let out = ok(r#"
lock l
try { l.release() } catch e { print(e.kind) }
l.acquire()
let p = spawn { try { l.release() } catch e { print("child:", e.kind, e.message) } }
p.join()
print(l.locked())
"#);
    assert!(out.starts_with("ValueError\nchild: ValueError"), "{out}");
    assert!(out.contains("MainProcess"), "names the holder: {out}");
    assert!(out.ends_with("true\n"), "{out}");
}

#[test]
fn a_holder_killed_with_sigkill_gives_lock_abandoned_once() {
    let r = code(
        r#"
lock l
event ready
fn hold(l, ready) { l.acquire(); ready.set(); sleep(60) }
let p = spawn hold(l, ready)
ready.wait()
p.kill()
try { l.acquire() } catch e { print(e.kind, e.message) }
print("then:", l.acquire(timeout=5))
l.release()
p.join()
print(p.exitcode)
"#,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("LockAbandoned Process-1 (pid "), "{}", r.stdout);
    assert_eq!(&lines[1..], ["then: true", "-9"]);
}

#[test]
fn a_waiter_blocked_when_the_holder_dies_gets_lock_abandoned() {
    // The waiter is already blocked in the kernel when the holder dies.
    let out = ok(r#"
lock l
event ready
fn hold(l, ready) { l.acquire(); ready.set(); sleep(60) }
fn waiter(l) { try { l.acquire() } catch e { print(e.kind) } }
let h = spawn hold(l, ready)
ready.wait()
let w = spawn waiter(l)
sleep(0.2)
h.kill()
w.join()
print(l.acquire(timeout=5))
"#);
    assert_eq!(out, "LockAbandoned\ntrue\n");
}

// ---- sem --------------------------------------------------------------------

#[test]
fn a_semaphore_of_three_never_admits_a_fourth() {
    let out = ok(r#"
sem s = 3
shared room = {"now": 0, "most": 0}
fn visit(s, room) {
    for k in 0..10 {
        sem s {
            lock room {
                room["now"] += 1
                if room["now"] > room["most"] { room["most"] = room["now"] }
            }
            sleep(0.002)
            lock room { room["now"] -= 1 }
        }
    }
}
let ps = []
for i in 0..8 { ps.push(spawn visit(s, room)) }
for p in ps { p.join() }
print(room["most"], room["now"], s.value())
"#);
    let nums: Vec<i64> = out.split_whitespace().map(|x| x.parse().unwrap()).collect();
    assert!((1..=3).contains(&nums[0]), "{out}");
    assert_eq!(&nums[1..], [0, 3]);
}

#[test]
fn a_burst_of_releases_lets_every_sleeper_through() {
    // The releases come faster than the woken processes run: each woken one
    // passes the wake-up on to the next sleeper while permits are left.
    let out = ok(r#"
let s = sem(0)
let done = queue()
let ps = []
for i in 0..6 { ps.push(spawn { s.acquire(); done.put(i) }) }
sleep(0.3)
for i in 0..8 { s.release() }
let got = []
for i in 0..6 { got.push(done.get(timeout=10)) }
for p in ps { p.join() }
got.sort()
print(got, s.value())
"#);
    assert_eq!(out.trim(), "[0, 1, 2, 3, 4, 5] 2");
}

#[test]
fn sem_methods() {
    let out = ok(r#"
sem s = 2
print(s.value(), s.acquire(), s.acquire(), s.acquire(block=false), s.value())
s.release()
print(s.value())
let z = sem(0)
let p = spawn { sleep(0.1); z.release() }
print(z.acquire(timeout=10), z.value())
p.join()
try { sem(-1) } catch e { print(e.kind) }
print(sem())
"#);
    assert_eq!(out.lines().collect::<Vec<_>>()[..4], ["2 true true false 0", "1", "true 0", "ValueError"]);
    assert!(out.contains("<sem #"), "{out}");
}

// ---- event ------------------------------------------------------------------

#[test]
fn cars_never_pass_before_the_event_is_set() {
    let out = ok(r#"
event green
shared passed = []
shared set_at = 0.0
fn car(i) { green.wait(); passed.push(time()) }
let cars = []
for i in 0..6 { cars.push(spawn car(i)) }
sleep(0.3)
print("passed before set:", len(passed))
set_at.value = time()
green.set()
for c in cars { c.join() }
let early = 0
for t in passed { if t < set_at.value { early += 1 } }
print("passed:", len(passed), "early:", early, green.is_set())
"#);
    assert_eq!(out, "passed before set: 0\npassed: 6 early: 0 true\n");
}

#[test]
fn set_wakes_all_waiters_and_clear_makes_them_wait() {
    let out = ok(r#"
event e
print(e.is_set(), e.wait(0), e.wait(timeout=0.05))
e.set()
print(e.is_set(), e.wait(), e.wait(timeout=1))
e.clear()
print(e.is_set())
sem ready = 0
let ps = []
for i in 0..5 { ps.push(spawn { ready.release(); e.wait() }) }
for i in 0..5 { ready.acquire() }
e.set()
for p in ps { p.join(10) }
let codes = []
for p in ps { codes.push(p.exitcode) }
print(codes)
"#);
    assert_eq!(out, "false false false\ntrue true true\nfalse\n[0, 0, 0, 0, 0]\n");
}

// ---- timeouts, Ctrl-C, the process table ------------------------------------

#[test]
fn timeouts_return_false_in_about_the_time_asked() {
    let out = ok(r#"
lock l
sem s = 0
event e
let p = spawn { l.acquire(); sleep(5) }
sleep(0.1)
for what in ["lock", "sem", "event"] {
    let t0 = time()
    let got = nil
    if what == "lock" { got = l.acquire(timeout=0.3) }
    if what == "sem" { got = s.acquire(timeout=0.3) }
    if what == "event" { got = e.wait(timeout=0.3) }
    print(what, got, time() - t0)
}
p.kill()
"#);
    for line in out.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(parts[1], "false", "{line}");
        let secs: f64 = parts[2].parse().unwrap();
        assert!((0.24..=0.9).contains(&secs), "{line}");
    }
    assert_eq!(out.lines().count(), 3);
}

#[test]
fn ctrl_c_interrupts_waits_on_every_primitive() {
    for wait in ["l.acquire()", "s.acquire()", "e.wait()", "lock l { }", "sem s { }"] {
        let src = format!(
            "lock l\nsem s = 0\nevent e\nlet p = spawn {{ l.acquire(); sleep(30) }}\nsleep(0.2)\nprint(\"waiting\")\n{wait}\n"
        );
        let (out, took) = common::interrupt_waiting("sync_wait", &src);
        assert!(took < Duration::from_secs(5), "{wait}: took {took:?}");
        assert!(out.stderr.contains("KeyboardInterrupt"), "{wait}: {}", out.stderr);
    }
}

#[test]
fn waits_are_recorded_in_the_process_table() {
    let mut r = common::start(&[], "no marker: the process group is enough");
    r.send("lock l\nsem s = 0\nevent e\nl.acquire()\nlet a = spawn { l.acquire() }\nlet b = spawn { s.acquire(timeout=60) }\nlet c = spawn { e.wait() }\n");
    // Ask `:ps` until all three children have got to their waits.
    let wanted = ["waiting for lock `l` at", "waiting for semaphore `s` at", "waiting for event `e` at"];
    let table = loop {
        r.send(":ps\nprint(\"end of ps\")\n");
        let table = r.lines_until("end of ps").join("\n");
        if wanted.iter().all(|w| table.contains(w)) {
            break table;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    r.send("a.kill(); b.kill(); c.kill()\n");
    let out = r.finish();
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert!(table.contains("(with timeout)"), "{table}");
}

// ---- shared -----------------------------------------------------------------

#[test]
fn shared_dict_list_and_scalar() {
    let out = ok(r#"
shared d = {"count": 3, "name": "x"}
shared xs = [1, 2, 3]
shared n = 0
let m = shared(1.5)
d["count"] -= 1
d["new"] = [1, 2]
xs[0] = "a"
xs.push(4)
n.value += 10
print(d["count"], len(d), "new" in d, "zz" in d, d.keys(), d.get("zz", 7))
print(xs.snapshot(), len(xs), 4 in xs, xs.pop(), len(xs))
print(n.value, m.value, n)
let seen = []
for k in d { seen.push(k) }
for x in xs { seen.push(x) }
print(seen)
let snap = d.snapshot()
snap["count"] = 99
print(d["count"], type(snap))
try { d["missing"] } catch e { print(e.kind) }
try { n[0] } catch e { print(e.kind) }
try { shared f = fn(x) { return x } } catch e { print(e.kind, e.message) }
d["l"] = lock()                 # handles are stored by identity
print(type(d["l"]))
"#);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], r#"2 3 true false ["count", "name", "new"] 7"#);
    assert_eq!(lines[1], r#"["a", 2, 3, 4] 4 true 4 3"#);
    assert_eq!(lines[2], "10 1.5 10", "a shared object prints as its value");
    assert_eq!(lines[3], r#"["count", "name", "new", "a", 2, 3]"#);
    assert_eq!(lines[4], "2 dict");
    assert_eq!(lines[5], "KeyError");
    assert_eq!(lines[6], "TypeError");
    assert!(lines[7].starts_with("TypeError a function cannot be stored in a shared object"), "{}", lines[7]);
    assert_eq!(lines[8], "lock");
}

#[test]
fn shared_values_grow_without_a_small_limit() {
    let out = ok(r#"
shared big = []
fn fill(b, i) { for j in 0..100 { b.push("{i}:" + "x" * 1000) } }
let ps = []
for i in 0..4 { ps.push(spawn fill(big, i)) }
for p in ps { p.join() }
shared huge = "y" * 5_000_000
print(len(big), len(huge.value))
"#);
    assert_eq!(out, "400 5000000\n");
}

#[test]
fn single_operations_work_inside_the_objects_own_lock() {
    let out = ok(r#"
shared d = {"a": 1}
lock d { d["a"] += 1; d["b"] = len(d) }
print(d.snapshot())
"#);
    assert_eq!(out, "{\"a\": 2, \"b\": 1}\n");
}

#[test]
fn a_caught_relock_error_names_both_places_in_its_message() {
    // The runtime records the places as spans; catching renders them.
    let out =
        ok("let l = lock()\nl.acquire()\ntry {\n  l.acquire()\n} catch e {\n  print(e.kind, \"|\", e.message)\n}\n");
    assert_eq!(
        out.trim(),
        "Deadlock | this process already holds the lock (taken at <-e>:2:1); \
         acquiring it again at <-e>:4:3 would wait forever"
    );
}
