//! The rest of multiprocessing's toolbox, through the real binary: rlock,
//! bounded sem, condition, barrier, lazy imap / imap_unordered,
//! starmap_async, pool initializer and maxtasksperchild. Concurrency is
//! checked by properties (counts, sets, orders forced by events), never by
//! a lucky interleaving; every run has a `--timeout` and a leftover scan.

mod common;

use common::{number_after, Out};

fn run(hint: &str, src: &str) -> Out {
    common::run_with(&["--timeout", "60"], hint, src)
}

/// Run a program that must succeed; its stdout.
fn ok(hint: &str, src: &str) -> String {
    let out = run(hint, src);
    assert_eq!(out.code, Some(0), "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    out.stdout
}

// ---- rlock and bounded sem ---------------------------------------------------

#[test]
fn rlock_is_reentrant_for_its_owner_only() {
    let out = ok(
        "rlock",
        r#"
let r = rlock()
fn depth(n) {
    lock r {
        if n > 0 { return depth(n - 1) + 1 }
        return 0
    }
}
print("depth", depth(10), r.locked())
r.acquire()
r.acquire()
let p = spawn {
    try { r.release() } catch e { print("child", e.kind) }
    print("child got it:", r.acquire(timeout=0.05))
}
p.join()
r.release()
print("still held:", r.locked())
r.release()
print("held:", r.locked())
try { r.release() } catch e { print("over-release", e.kind, e.message) }
let q = queue()
q.put(r)
let back = q.get()
print(back == r)
"#,
    );
    assert_eq!(
        out,
        "depth 10 false\nchild RuntimeError\nchild got it: false\nstill held: true\nheld: false\n\
         over-release RuntimeError cannot release un-acquired lock\ntrue\n"
    );
}

#[test]
fn a_dead_rlock_holder_leaves_it_abandoned_then_free() {
    let out = ok(
        "rlock_dead",
        r#"
let r = rlock()
let p = spawn { r.acquire(); r.acquire(); sleep(1000) }
while not r.locked() { sleep(0.01) }
p.kill()
p.join()
try { r.acquire() } catch e { print(e.kind) }
print(r.acquire(), r.acquire())
r.release()
r.release()
print(r.locked())
"#,
    );
    assert_eq!(out, "LockAbandoned\ntrue true\nfalse\n");
}

#[test]
fn bounded_sem_refuses_a_release_past_its_value() {
    let out = ok(
        "bounded",
        r#"
let s = sem(2, bounded=true)
s.acquire()
s.release()
try { s.release() } catch e { print(e.kind, e.message) }
print(s.value())
let z = sem(0, bounded=true)
try { z.release() } catch e { print(e.kind) }
let u = sem(1)
u.release()
print(u.value())
"#,
    );
    assert_eq!(out, "ValueError semaphore released too many times\n2\nValueError\n2\n");
}

// ---- condition ---------------------------------------------------------------

/// Two producers and two consumers share a buffer of at most 3 items under
/// one condition: every item arrives exactly once, and the buffer never
/// holds more than 3.
#[test]
fn condition_bounded_buffer_two_producers_two_consumers_loses_nothing() {
    let out = ok(
        "cond_buffer",
        r#"
shared buf = []
shared most = 0
let c = condition()
fn producer(base, n) {
    for i in 0..n {
        lock c {
            c.wait_for(fn() { return len(buf) < 3 })
            buf.append(base + i)
            if len(buf) > most.value { most.value = len(buf) }
            c.notify_all()
        }
    }
}
fn consumer(out) {
    let got = []
    while true {
        let v = nil
        lock c {
            while len(buf) == 0 { c.wait() }
            v = buf.pop(0)
            c.notify_all()
        }
        if v == nil { break }
        got.append(v)
    }
    out.put(got)
}
queue out
let consumers = [spawn consumer(out), spawn consumer(out)]
let producers = [spawn producer(0, 300), spawn producer(1000, 300)]
for p in producers { p.join() }
for i in 0..2 {
    lock c {
        c.wait_for(fn() { return len(buf) < 3 })
        buf.append(nil)
        c.notify_all()
    }
}
let all = out.get() + out.get()
for p in consumers { p.join() }
let distinct = {}
for v in all { distinct[v] = true }
print("items:", len(all), "distinct:", len(distinct), "sum:", sum(all))
print("most:", most.value)
"#,
    );
    assert_eq!(number_after(&out, "items:"), 600, "{out}");
    assert_eq!(number_after(&out, "distinct:"), 600, "{out}");
    assert_eq!(number_after(&out, "sum:"), (0..300).sum::<i64>() + (1000..1300).sum::<i64>(), "{out}");
    let most = number_after(&out, "most:");
    assert!((1..=3).contains(&most), "{out}");
}

#[test]
fn condition_wait_notify_rules_and_timeouts() {
    let out = ok(
        "cond_rules",
        r#"
let c = condition()
try { c.wait() } catch e { print(e.kind, e.message) }
try { c.notify() } catch e { print(e.kind) }
lock c {
    print("timed out:", c.wait(timeout=0.05))
    print("pred:", c.wait_for(fn() { return false }, timeout=0.05))
    c.notify(3)
    c.notify_all()
}
# Over a plain lock, shared with the script.
lock l
let d = condition(l)
shared ready = false
let p = spawn {
    lock l { ready.value = true; d.notify() }
}
lock d { print("woken:", d.wait_for(fn() { return ready.value }, timeout=30)) }
p.join()
try { condition(5) } catch e { print(e.kind) }
"#,
    );
    assert_eq!(
        out,
        "RuntimeError cannot wait on un-acquired lock\nRuntimeError\ntimed out: false\npred: false\n\
         woken: true\nTypeError\n"
    );
}

/// notify_all wakes every waiter; a condition travels through a queue.
#[test]
fn condition_notify_all_wakes_every_waiter() {
    let out = ok(
        "cond_all",
        r#"
let c = condition()
shared waiting = 0
shared go = false
queue q
q.put(c)
fn waiter(q) {
    let c = q.get()
    q.put(c)
    lock c {
        waiting.value += 1
        c.notify_all()
        c.wait_for(fn() { return go.value })
    }
}
let ps = []
for i in 0..4 { ps.append(spawn waiter(q)) }
lock c {
    c.wait_for(fn() { return waiting.value == 4 })
    go.value = true
    c.notify_all()
}
for p in ps { p.join() }
print("all woken", len(ps))
"#,
    );
    assert_eq!(out, "all woken 4\n");
}

/// The oldest waiter is killed, then notified: the notify is passed on to
/// the live waiter instead of being swallowed by the dead one.
#[test]
fn condition_notify_to_a_killed_waiter_goes_to_a_live_one() {
    let out = ok(
        "cond_killed",
        r#"
let c = condition()
fn waiter(name, there) {
    lock c {
        there.set()
        print(name, "woken:", c.wait())
    }
}
# Once a waiter said it is there, taking the lock means it waits (wait freed it).
let there_a = event()
let a = spawn waiter("a", there_a)
there_a.wait()
lock c { }
let there_b = event()
let b = spawn waiter("b", there_b)
there_b.wait()
lock c { }
a.kill()
a.join()
lock c { c.notify(1) }
b.join()
print("b exit", b.exitcode)
"#,
    );
    assert_eq!(out, "b woken: true\nb exit 0\n");
}

#[test]
fn a_deadlock_on_a_condition_wait_is_reported_with_exit_3() {
    let out = run(
        "cond_deadlock",
        r#"
let c = condition()
fn waiter(c) { lock c { c.wait() } }
let p = spawn waiter(c)
lock c { c.wait() }
"#,
    );
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains("Deadlock"), "{}", out.stderr);
    assert_eq!(out.stderr.matches("waits for a notify of condition `c`").count(), 2, "{}", out.stderr);
}

// ---- barrier -----------------------------------------------------------------

/// Three parties, 20 rounds: each round's arrival indices are 0, 1, 2, and
/// nobody leaves a round before all three have arrived at it.
#[test]
fn barrier_of_three_releases_together_with_distinct_indices() {
    let out = ok(
        "barrier_rounds",
        r#"
let b = barrier(3)
shared arrived = [0] * 20
queue q
fn racer(b, q) {
    for round in 0..20 {
        lock arrived { arrived[round] += 1 }
        let i = b.wait()
        q.put([round, i, arrived[round]])
    }
}
let ps = [spawn racer(b, q), spawn racer(b, q), spawn racer(b, q)]
let indices = {}
let early = 0
for k in 0..60 {
    let round, i, seen = q.get()
    if seen != 3 { early += 1 }
    indices[round] = indices.get(round, []) + [i]
}
for p in ps { p.join() }
let good = 0
for r in indices { if sorted(indices[r]) == [0, 1, 2] { good += 1 } }
print("rounds:", good, "early:", early)
print(b.parties, b.n_waiting, b.broken)
"#,
    );
    assert_eq!(number_after(&out, "rounds:"), 20, "{out}");
    assert_eq!(number_after(&out, "early:"), 0, "{out}");
    assert!(out.ends_with("3 0 false\n"), "{out}");
}

/// A party killed while it waits breaks the barrier: the others get
/// `BrokenBarrierError` naming it instead of waiting for ever; after
/// `reset()` a full round passes again.
#[test]
fn barrier_party_killed_breaks_it_for_the_others() {
    let out = ok(
        "barrier_killed",
        r#"
let b = barrier(3)
fn waiter(name) {
    try { b.wait(); print(name, "passed") } catch e { print(name, e.kind) }
}
let w = spawn waiter("w")
let victim = spawn { b.wait() }
while b.n_waiting < 2 { sleep(0.01) }
let pid = victim.pid
victim.kill()
victim.join()
w.join()
try { b.wait() } catch e { print("main", e.kind, str(pid) in e.message) }
print("broken:", b.broken)
b.reset()
print("broken:", b.broken)
let ps = [spawn { b.wait() }, spawn { b.wait() }]
print("index:", b.wait() in [0, 1, 2])
for p in ps { p.join() }
print([ps[0].exitcode, ps[1].exitcode])
"#,
    );
    assert_eq!(
        out,
        "w BrokenBarrierError\nmain BrokenBarrierError true\nbroken: true\nbroken: false\nindex: true\n[0, 0]\n"
    );
}

#[test]
fn barrier_timeout_abort_and_reset() {
    let out = ok(
        "barrier_abort",
        r#"
let b = barrier(2)
try { b.wait(timeout=0.05) } catch e { print(e.kind, e.message) }
print(b.broken)
b.reset()
let p = spawn {
    try { b.wait() } catch e { print("child", e.kind, "aborted by MainProcess" in e.message) }
}
while b.n_waiting < 1 { sleep(0.01) }
b.abort()
p.join()
b.reset()
let t = barrier(2, timeout=0.05)
try { t.wait() } catch e { print("default timeout", e.kind) }
try { barrier(0) } catch e { print(e.kind) }
"#,
    );
    assert_eq!(
        out,
        "BrokenBarrierError the barrier broke: this process timed out waiting\ntrue\n\
         child BrokenBarrierError true\ndefault timeout BrokenBarrierError\nValueError\n"
    );
}

#[test]
fn a_barrier_nobody_completes_is_a_deadlock() {
    let out = run("barrier_deadlock", "let b = barrier(3)\nlet p = spawn { b.wait() }\nb.wait()\n");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert_eq!(out.stderr.matches("waits for the other parties of barrier `b`").count(), 2, "{}", out.stderr);
}

// ---- pools -------------------------------------------------------------------

/// Each task waits for its own event; the main process releases them in
/// the order 3, 1, 0, 2 and takes one result after each: imap_unordered
/// gives them in that (completion) order, imap in input order — lazily,
/// its first result before the others are done.
#[test]
fn imap_in_order_and_imap_unordered_in_completion_order() {
    let out = ok(
        "imap",
        r#"
pool p = 4
fn task(evs, x) { evs[x].wait(); return x }
let evs = [event(), event(), event(), event()]
let it = p.imap_unordered(fn(x) { return task(evs, x) }, 0..4)
let got = []
for k in [3, 1, 0, 2] {
    evs[k].set()
    got.append(it.next())
}
print("unordered", got)
try { it.next() } catch e { print(e.kind) }
let evs2 = [event(), event(), event(), event()]
let ordered = p.imap(fn(x) { return task(evs2, x) }, 0..4)
evs2[0].set()
print("first", ordered.next(timeout=30))
for k in [3, 1, 2] { evs2[k].set() }
let rest = []
for v in ordered { rest.append(v) }
print("rest", rest)
"#,
    );
    assert_eq!(out, "unordered [3, 1, 0, 2]\nStopIteration\nfirst 0\nrest [1, 2, 3]\n");
}

#[test]
fn imap_errors_come_at_their_place_and_builtins_take_iterators() {
    let out = ok(
        "imap_errors",
        r#"
pool p = 2
let it = p.imap(fn(x) { return 12 / x }, [1, 0, 4], chunksize=2)
print(it.next())
try { it.next() } catch e { print(e.kind) }
print(it.next())
print(sorted(p.imap_unordered(fn(x) { return x * x }, 0..6)))
print(sum(p.imap(fn(x) { return x }, 0..100, chunksize=7)))
try { p.imap(fn(x) { return x }, 0..3).next(timeout=-1) } catch e { print(e.kind) }
try { for x in p.imap(fn(x) { return x }, 0..3)[0] { } } catch e { print(e.kind) }
print(p.starmap_async(fn(a, b) { return a * b }, [[2, 3], [4, 5]], chunksize=1).get())
"#,
    );
    assert_eq!(out, "12.0\nZeroDivisionError\n3.0\n[0, 1, 4, 9, 16, 25]\n4950\nValueError\nTypeError\n[6, 20]\n");
}

/// The initializer runs once in each worker, replacement workers included;
/// the globals it sets are what the tasks see.
#[test]
fn initializer_effect_is_visible_in_tasks() {
    let out = ok(
        "initializer",
        r#"
let config = nil
let cache = []
fn init(name, n) {
    config = name
    cache.append(n)
}
fn task(x) { return [config, len(cache), x] }
let p = pool(2, initializer=init, initargs=["ready", 7])
print(p.map(task, 0..3))
let fresh = pool(1, initializer=init, initargs=["fresh", 1], maxtasksperchild=1)
print(fresh.map(task, 0..3, chunksize=1))
print("owner still:", config, len(cache))
"#,
    );
    assert_eq!(
        out,
        "[[\"ready\", 1, 0], [\"ready\", 1, 1], [\"ready\", 1, 2]]\n\
         [[\"fresh\", 1, 0], [\"fresh\", 1, 1], [\"fresh\", 1, 2]]\nowner still: nil 0\n"
    );
}

#[test]
fn a_failing_initializer_ends_the_pool_with_an_error() {
    let out = run(
        "initializer_fails",
        r#"
fn init() { throw error("SetupError", "no config") }
let p = pool(2, initializer=init)
try { p.map(fn(x) { return x }, 0..4) } catch e { print(e.kind, "initializer" in e.message) }
"#,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "ProcessError true\n");
    assert!(out.stderr.contains("SetupError: no config"), "{}", out.stderr);
}

/// Every worker leaves after two tasks and a fresh one (a new pid) takes
/// its place.
#[test]
fn maxtasksperchild_gives_fresh_worker_pids() {
    let out = ok(
        "maxtasks",
        r#"
let p = pool(2, maxtasksperchild=2)
let pids = p.map(fn(x) { return getpid() }, 0..8, chunksize=1)
let counts = {}
for pid in pids { counts[pid] = counts.get(pid, 0) + 1 }
print("distinct:", len(counts), "most:", max(counts.values()))
print("pool size:", len(p.pids))
try { pool(2, maxtasksperchild=0) } catch e { print(e.kind) }
"#,
    );
    // 8 tasks, at most 2 per worker: at least 4 different workers ran them.
    assert!(number_after(&out, "distinct:") >= 4, "{out}");
    assert!((1..=2).contains(&number_after(&out, "most:")), "{out}");
    assert!(out.ends_with("pool size: 2\nValueError\n"), "{out}");
}

/// A party is killed at a random moment of a run of barrier rounds, five
/// times. Killed while waiting (or while changing the barrier), the others
/// get `BrokenBarrierError`; killed between two rounds, it cannot be told
/// from a party still on its way, and with everyone stuck that is a
/// reported deadlock (exit 3). Never a hang.
#[test]
fn a_barrier_party_killed_at_any_moment_never_hangs_the_others() {
    let src = r#"
let b = barrier(3)
queue done
fn party(b, done) {
    let how = "finished"
    try {
        for i in 0..1_000_000 { b.wait() }
    } catch e {
        how = e.kind
    }
    done.put(how)
}
let ps = [spawn party(b, done), spawn party(b, done)]
let victim = spawn { while true { b.wait() } }
sleep(rand_float(0.0, 0.05))
victim.kill()
victim.join()
print([done.get(), done.get()])
for p in ps { p.join() }
"#;
    for _ in 0..5 {
        let out = run("barrier_kill_any", src);
        match out.code {
            Some(0) => assert_eq!(out.stdout, "[\"BrokenBarrierError\", \"BrokenBarrierError\"]\n"),
            Some(3) => assert!(out.stderr.contains("waits for the other parties of barrier `b`"), "{}", out.stderr),
            other => panic!("exit {other:?}\n{}{}", out.stdout, out.stderr),
        }
    }
}

// ---- between threads ---------------------------------------------------------

/// An rlock's owner is a thread: two threads of one process contend for it
/// (no lost update, and a thread cannot release the other's hold).
#[test]
fn rlock_contended_by_two_threads() {
    let out = ok(
        "rlock_threads",
        r#"
let r = rlock()
let n = 0
fn add() {
    for i in 0..300 {
        lock r { lock r { let v = n; sleep(0); n = v + 1 } }
    }
}
let ts = [thread add(), thread add()]
for t in ts { t.join() }
print("n", n)
r.acquire()
let t = thread {
    try { r.release() } catch e { print("other thread", e.kind) }
    print("other thread got it:", r.acquire(timeout=0.05))
}
t.join()
r.release()
print("held:", r.locked())
"#,
    );
    assert_eq!(out, "n 600\nother thread RuntimeError\nother thread got it: false\nheld: false\n");
}

/// A condition's waiters are threads: a bounded buffer between producer and
/// consumer threads loses nothing and never overfills.
#[test]
fn condition_bounded_buffer_between_threads() {
    let out = ok(
        "condition_threads",
        r#"
let c = condition()
let buf = []
let most = 0
let total = 0
fn producer(base) {
    for x in 0..50 {
        lock c {
            c.wait_for(fn() { return len(buf) < 3 })
            buf.append(base + x)
            most = max(most, len(buf))
            c.notify_all()
        }
    }
}
fn consumer() {
    while true {
        let x = nil
        lock c {
            while len(buf) == 0 { c.wait() }
            x = buf.pop(0)
            c.notify_all()
        }
        if x == nil { break }
        lock c { total += 1 }
    }
}
let cs = [thread consumer(), thread consumer()]
let ps = [thread producer(0), thread producer(100)]
for p in ps { p.join() }
for i in 0..2 { lock c { c.wait_for(fn() { return len(buf) < 3 }); buf.append(nil); c.notify_all() } }
for t in cs { t.join() }
print("total", total, "most", most)
"#,
    );
    assert_eq!(number_after(&out, "total"), 100, "{out}");
    assert!(number_after(&out, "most") <= 3, "{out}");
}

/// A barrier of three threads: every round releases all three together with
/// the arrival indices 0, 1, 2.
#[test]
fn barrier_of_three_threads() {
    let out = ok(
        "barrier_threads",
        r#"
let b = barrier(3)
let m = lock()
let arrived = [0] * 10
let indices = {}
let early = 0
fn racer() {
    for round in 0..10 {
        lock m { arrived[round] += 1 }
        let i = b.wait()
        lock m {
            if arrived[round] != 3 { early += 1 }
            indices[round] = indices.get(round, []) + [i]
        }
    }
}
let ts = [thread racer(), thread racer(), thread racer()]
for t in ts { t.join() }
let good = 0
for r in indices { if sorted(indices[r]) == [0, 1, 2] { good += 1 } }
print("rounds:", good, "early:", early)
print(b.n_waiting, b.broken)
"#,
    );
    assert_eq!(number_after(&out, "rounds:"), 10, "{out}");
    assert_eq!(number_after(&out, "early:"), 0, "{out}");
    assert!(out.ends_with("0 false\n"), "{out}");
}
