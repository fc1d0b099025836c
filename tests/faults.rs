//! Fault injection: processes killed with SIGKILL at random moments (seeded,
//! so a failure can be replayed with the same `--seed`) while they put,
//! take, hold a lock, write a shared object or run pool tasks. Each test is
//! one run of a script that spawns and kills its own victims round after
//! round, and checks: nothing committed is lost or duplicated, no value is
//! corrupt, nothing hangs (the run ends; `--timeout` is only a backstop),
//! and the shared arena's use comes back to where it started
//! (`_arena_used()`, an undocumented debugging builtin) — for queues, give
//! or take one item: a kill that lands exactly between a queue's commit
//! store and the store that moves the item's block into or out of the
//! victim's owned row loses that block (see `runtime/shm.rs`); a known
//! defect, left until queue-mutex recovery settles such a hand-off.

mod common;

/// Run a fault script with a fixed seed; its stdout.
fn faults(hint: &str, seed: &str, code: &str) -> String {
    let out = common::run_with(&["--seed", seed, "--timeout", "120"], hint, code);
    assert_eq!(out.code, Some(0), "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    out.stdout
}

/// A producer killed mid-`put` of a large item: what reached the queue
/// arrives whole, in order, once; the item it was putting is freed.
#[test]
fn killed_producers_lose_no_committed_item_and_leak_nothing() {
    let out = faults(
        "producers",
        "11",
        r#"
# Producers killed at random moments: what reached the queue arrives whole,
# in order, once; nothing of a killed put leaks.
queue q = 32
fn payload(i) { return "{i}:" + "p" * (100 + (i % 7) * 3000) }
fn check(x, i) { return x == payload(i) }
# Warm up: the ring grows to its working size once.
for i in 0..32 { q.put(payload(i)) }
for i in 0..32 { q.get() }
let base = _arena_used()
let bad = 0
let got = 0
for round in 0..60 {
    let p = spawn { let i = 0; while true { q.put(payload(i)); i += 1 } }
    sleep(rand() * 0.01)
    kill(p.pid, "SIGKILL")
    p.join()
    let i = 0
    while not q.empty() {
        let x = q.get()
        if not check(x, i) { bad += 1 }
        i += 1
    }
    got += i
}
print("bad:", bad)
print("leak at most one item:", _arena_used() - base <= 32768)
print("got some:", got > 0)
"#,
    );
    assert_eq!(out, "bad: 0\nleak at most one item: true\ngot some: true\n");
}

/// A consumer killed mid-`get`: every item is taken at most once, the
/// rest stay queued in order, and the item it held is freed.
#[test]
fn killed_consumers_take_each_item_once_and_leak_nothing() {
    let out = faults(
        "consumers",
        "12",
        r#"
queue q
queue done
fn payload(i) { return "{i}:" + "c" * (100 + (i % 7) * 3000) }
for i in 0..40 { q.put(payload(i)) }
for i in 0..40 { q.get() }
let base = _arena_used()
let bad = 0
let lost = 0
for round in 0..60 {
    for i in 0..30 { q.put(payload(i)) }
    let p = spawn {
        while true {
            let x = q.get()
            done.put(int(x.split(":")[0]))
        }
    }
    sleep(rand() * 0.004)
    kill(p.pid, "SIGKILL")
    p.join()
    let seen = []
    while not done.empty() { seen.push(done.get()) }
    let first_left = nil
    while not q.empty() {
        let x = q.get()
        let i = int(x.split(":")[0])
        if x != payload(i) { bad += 1 }
        if first_left == nil { first_left = i }
        seen.push(i)
    }
    # Taken in order, each once; at most the one the consumer held is gone.
    let missing = 30 - len(seen)
    if missing < 0 or missing > 1 { bad += 1 }
    lost += missing
    for k in 0..len(seen) - 1 { if seen[k] >= seen[k + 1] { bad += 1 } }
}
print("bad:", bad)
print("leak at most one item:", _arena_used() - base <= 32768)
print("lost at most one a round:", lost <= 60)
"#,
    );
    assert_eq!(out, "bad: 0\nleak at most one item: true\nlost at most one a round: true\n");
}

/// A writer killed mid-store of a shared object: readers see a whole old
/// or new value, never a mix, and the unpublished block is freed.
#[test]
fn killed_shared_writers_leave_the_old_or_the_new_value() {
    let out = faults(
        "writers",
        "13",
        r#"
shared d = {"v": [0]}
fn value(i) { return [i] * (1 + i % 40) + ["w" * ((i * 997) % 20000)] }
fn valid(v) {
    let i = v[0]
    if len(v) != 2 + i % 40 { return false }
    for k in 0..len(v) - 1 { if v[k] != i { return false } }
    return v[len(v) - 1] == "w" * ((i * 997) % 20000)
}
d["v"] = value(1)
let base = _arena_used()
let bad = 0
let last = 0
for round in 0..60 {
    let p = spawn { let i = last; while true { d["v"] = value(i); i += 1 } }
    sleep(rand() * 0.01)
    kill(p.pid, "SIGKILL")
    p.join()
    let v = d["v"]
    if not valid(v) { bad += 1 }
    last = v[0]
}
d["v"] = value(1)
print("bad:", bad)
print("leak:", _arena_used() - base)
print("moved on:", last > 0)
"#,
    );
    assert_eq!(out, "bad: 0\nleak: 0\nmoved on: true\n");
}

/// A lock holder killed inside `lock l { }`: the next taker hears of it
/// (`LockAbandoned`) and the lock works again.
#[test]
fn killed_lock_holders_leave_the_lock_usable() {
    let out = faults(
        "holders",
        "14",
        r#"
lock l
shared n = 0
let abandoned = 0
let bad = 0
for round in 0..60 {
    let p = spawn { while true { lock l { n.value += 1; n.value -= 1 } } }
    sleep(rand() * 0.005)
    kill(p.pid, "SIGKILL")
    p.join()
    try { lock l { } } catch e {
        if e.kind == "LockAbandoned" { abandoned += 1 } else { bad += 1 }
    }
    # The lock is free again and the count is what the dead holder left.
    if not l.acquire(timeout=5) { bad += 1 } else { l.release() }
    if n.value != 0 and n.value != 1 { bad += 1 }
    n.value = 0
}
print("bad:", bad)
print("abandoned some:", abandoned > 0)
"#,
    );
    assert_eq!(out, "bad: 0\nabandoned some: true\n");
}

/// A pool worker killed at a random moment: each map either returns all
/// its results or raises ProcessError; none waits forever, none is lost.
#[test]
fn killed_pool_workers_never_lose_a_task() {
    let out = faults(
        "workers",
        "15",
        r#"
pool p = 2
fn f(x) { return [x] * 20 + ["r" * (x * 200)] }
let want = p.map(f, 0..30, chunksize=1)
let base = _arena_used()
let ok = 0
let reported = 0
let bad = 0
for round in 0..60 {
    let r = p.map_async(f, 0..30, chunksize=1)
    sleep(rand() * 0.005)
    kill(p.pids[rand_int(0, 1)], "SIGKILL")
    try {
        if r.get(timeout=30) == want { ok += 1 } else { bad += 1 }
    } catch e {
        if e.kind == "ProcessError" { reported += 1 } else { print(e); bad += 1 }
    }
    # Queued behind whatever a failed map left: the queues stay short.
    if p.apply(fn(x) { return x }, round) != round { bad += 1 }
}
print("bad:", bad)
print("every round ended:", ok + reported == 60)
print(p.map(f, 0..30, chunksize=1) == want)
print("leak at most one item:", _arena_used() - base <= 32768)
p.close()
p.join()
"#,
    );
    assert_eq!(out, "bad: 0\nevery round ended: true\ntrue\nleak at most one item: true\n");
}

/// A stopped (SIGSTOP) worker is not dead: its task waits for it, as in
/// Python — a timed `get` times out — and goes on after SIGCONT.
#[test]
fn a_stopped_pool_worker_is_waited_for() {
    let out = faults(
        "stopped",
        "16",
        r#"
pool p = 2
let r = p.apply_async(fn(x) { return x + 1 }, 6)
for pid in p.pids { kill(pid, "SIGSTOP") }
# Stopped for sure (state T) before the next task is queued.
for pid in p.pids { while not (") T " in read_file("/proc/{pid}/stat")) { sleep(0.01) } }
let r2 = p.apply_async(fn(x) { return x + 1 }, 7)
try { r2.get(timeout=0.3) } catch e { print(e.kind) }
for pid in p.pids { kill(pid, "SIGCONT") }
print(r.get(timeout=60), r2.get(timeout=60))
"#,
    );
    assert_eq!(out, "TimeoutError\n7 8\n");
}
