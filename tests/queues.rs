//! Queues, pipes, and values crossing processes,
//! through the real binary. Concurrency tests assert properties — counts,
//! sums, sets, per-producer order — never one lucky interleaving. Every run
//! has a `--timeout`, so a hang fails instead of blocking the suite.

mod common;

use std::time::Duration;

use common::{number_after, Run};

fn mps(args: &[&str]) -> Run {
    common::mps_timed("60", args)
}

/// Run a program that must succeed; its stdout.
fn ok(src: &str) -> String {
    common::ok_timed("60", src)
}

// ---- scripts/ -------------------------------------------------------------

#[test]
fn producer_consumer_script_takes_every_item_once() {
    let r = mps(&["scripts/producer_consumer.mps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(number_after(&r.stdout, "items:"), 1000);
    assert_eq!(number_after(&r.stdout, "sum:"), 749_500);
    assert_eq!(r.stdout.matches(" put 500 items").count(), 2);
    assert_eq!(r.stdout.matches(" took ").count(), 2);
}

#[test]
fn joinable_queue_script_joins_after_all_work() {
    let r = mps(&["scripts/joinable_queue.mps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(number_after(&r.stdout, "done after join:"), 30);
    assert!(r.stdout.contains("ValueError: task_done() called more times"), "{}", r.stdout);
}

#[test]
fn pipe_pingpong_script_plays_and_ends_with_eof() {
    let r = mps(&["scripts/pipe_pingpong.mps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for i in 0..5 {
        assert!(r.stdout.contains(&format!("round {i}: ball is {}", i + 1)), "{}", r.stdout);
    }
    assert!(r.stdout.contains("after the game: EOFError"), "{}", r.stdout);
}

#[test]
fn pipe_eof_script_shows_both_cases() {
    let r = mps(&["scripts/pipe_eof.mps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (open, closed) = r.stdout.split_once("reader closes its write end: true").expect("both cases");
    assert!(open.contains("no EOF") && !open.contains("EOFError"), "{}", r.stdout);
    assert!(closed.contains("EOFError after 3 items"), "{}", r.stdout);
}

// ---- queue -----------------------------------------------------------------

#[test]
fn two_producers_two_consumers_exactly_once_and_fifo_per_producer() {
    for maxsize in ["", " = 8"] {
        let out = ok(&format!(
            r#"
queue q{maxsize}
queue results
fn producer(base) {{ for i in 0..1000 {{ q.put(base + i) }} }}
fn consumer() {{
    let got = []
    let last = {{0: -1, 1: -1}}
    let ordered = true
    while true {{
        let x = q.get()
        if x == nil {{ break }}
        let who = x // 100000
        if x <= last[who] {{ ordered = false }}
        last[who] = x
        got.push(x)
    }}
    results.put([got, ordered])
}}
let ps = [spawn producer(0), spawn producer(100000)]
let cs = [spawn consumer(), spawn consumer()]
for p in ps {{ p.join() }}
q.put(nil); q.put(nil)
let all = []
let ordered = true
for c in cs {{ let r = results.get(); all = all + r[0]; ordered = ordered and r[1] }}
for c in cs {{ c.join() }}
let distinct = {{}}
for x in all {{ distinct[x] = true }}
print("count", len(all), "distinct", len(distinct), "sum", sum(all), "fifo", ordered, "left", q.qsize())
"#
        ));
        let expect_sum: i64 = (0..1000).sum::<i64>() + (100_000..101_000).sum::<i64>();
        assert_eq!(
            out.trim(),
            format!("count 2000 distinct 2000 sum {expect_sum} fifo true left 0"),
            "maxsize{maxsize}"
        );
    }
}

#[test]
fn full_and_empty_with_and_without_timeout() {
    let out = ok(r#"
queue q = 2
print(q.maxsize, q.empty(), q.full(), q.qsize())
q.put(1); q.put(2)
print(q.empty(), q.full(), q.qsize())
for how in ["nowait", "block=false", "timeout"] {
    let t0 = time()
    try {
        if how == "nowait" { q.put_nowait(3) }
        if how == "block=false" { q.put(3, block=false) }
        if how == "timeout" { q.put(3, timeout=0.2) }
        print("put", how, "no error")
    } catch e { print("put", how, e.kind, time() - t0 >= 0.15 or how != "timeout") }
}
print(q.get(), q.get())
for how in ["nowait", "block=false", "timeout"] {
    let t0 = time()
    try {
        if how == "nowait" { q.get_nowait() }
        if how == "block=false" { q.get(block=false) }
        if how == "timeout" { q.get(timeout=0.2) }
        print("get", how, "no error")
    } catch e { print("get", how, e.kind, time() - t0 >= 0.15 or how != "timeout") }
}
# a blocked put goes on as soon as a consumer makes room
q.put("a"); q.put("b")
let p = spawn { sleep(0.2); q.get() }
q.put("c", timeout=10)
p.join()
print(q.get(), q.get(), q.qsize())
"#);
    assert_eq!(
        out,
        "2 true false 0\nfalse true 2\nput nowait Full true\nput block=false Full true\nput timeout Full true\n\
         1 2\nget nowait Empty true\nget block=false Empty true\nget timeout Empty true\nb c 0\n"
    );
}

#[test]
fn join_returns_only_after_every_task_done() {
    let out = ok(r#"
queue q
shared done = 0
fn worker() {
    while true {
        let x = q.get()
        if x == nil { q.task_done(); break }
        sleep(0.002)
        lock done { done.value += 1 }
        q.task_done()
    }
}
let ws = [spawn worker(), spawn worker()]
for i in 0..200 { q.put(i) }
q.join()
print("at join", done.value, "timed join", q.join(timeout=0.1))
q.put(nil); q.put(nil)
for w in ws { w.join() }
q.join()
try { q.task_done() } catch e { print(e.kind) }
q.put(1)
print("pending", q.join(timeout=0.1))
"#);
    assert_eq!(out, "at join 200 timed join true\nValueError\npending false\n");
}

#[test]
fn items_of_several_mib_and_nested_values_round_trip_equal() {
    let out = ok(r#"
queue q = 2
let big = "ab€" * 1_000_000
let nested = {"ranges": [0..3, 1..=5, -2..2], "text": "héllo wörld 日本語 🙂", "n": [nil, true, 1.5, -7, [[[]]]], 3: {"k": [{}]}}
let p = spawn {
    let a = q.get()
    let b = q.get()
    q.put([len(a), a == big])
    q.put(b)
}
q.put(big)
q.put(nested)
p.join()
print(q.get())
let back = q.get()
print(back == nested, back["ranges"][1], back["text"], back[3])
"#);
    assert_eq!(out, "[3000000, true]\ntrue 1..=5 héllo wörld 日本語 🙂 {\"k\": [{}]}\n");
}

#[test]
fn a_consumer_killed_in_get_leaves_the_queue_usable() {
    // Consumers copying multi-MiB items out under the queue's mutex are
    // SIGKILLed at arbitrary moments, many times; the survivor then takes
    // everything that is left, and nothing is taken twice.
    let out = ok(r#"
queue q
queue seen
let item = "x" * 2_000_000
for i in 0..40 { q.put([i, item]) }
fn eat() { while true { let x = q.get(); seen.put(x[0]) } }
for round in 0..8 {
    let victim = spawn eat()
    sleep(0.005 + rand_float(0.0, 0.02))
    victim.kill()
    victim.join()
}
# a victim killed while blocked in get, too
queue empty
let blocked = spawn { empty.get() }
sleep(0.1)
blocked.kill()
blocked.join()
empty.put("still works")
print(empty.get(timeout=5))
let left = q.qsize()
q.put(nil)
let survivor = spawn { let n = 0; while true { let x = q.get(); if x == nil { break }; seen.put(x[0]); n += 1 }; seen.put(["survivor", n]) }
survivor.join()
let ids = {}
let dup = false
let got = nil
while true {
    let x = seen.get(timeout=5)
    if type(x) == "list" { got = x[1]; break }
    if x in ids { dup = true }
    ids[x] = true
}
print("left", left, "survivor got", got, "dup", dup, "accounted", len(ids) + 8 >= 40)
"#);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("still works"));
    let last = lines.next().expect("summary line");
    let left = number_after(last, "left");
    assert_eq!(number_after(last, "survivor got"), left, "{out}");
    assert!(last.ends_with("dup false accounted true"), "{out}");
}

#[test]
fn ctrl_c_interrupts_queue_and_pipe_waits() {
    for wait in ["q.get()", "b.put(2)", "q2.join()", "r.recv()", "r.poll(30)"] {
        let src =
            format!("queue q\nqueue b = 1\nb.put(1)\nqueue q2\nq2.put(1)\npipe w -> r\nprint(\"waiting\")\n{wait}\n");
        let (out, took) = common::interrupt_waiting("queue_wait", &src);
        assert!(took < Duration::from_secs(5), "{wait}: took {took:?}");
        assert!(out.stderr.contains("KeyboardInterrupt"), "{wait}: {}", out.stderr);
    }
}

#[test]
fn queue_and_pipe_waits_are_recorded_in_the_process_table() {
    let input = "queue q\nqueue full = 1\nfull.put(0)\nqueue j\nj.put(0)\npipe a, b\n\
                 let ps = [spawn { q.get() }, spawn { full.put(1, timeout=20) }, spawn { j.join() }, spawn { b.recv() }]\n\
                 sleep(0.5)\n:ps\nfor p in ps { p.kill() }\n";
    let out = common::repl_piped(input);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("waiting for an item from queue `q` at"), "{stdout}");
    assert!(stdout.contains("waiting for room in queue `full` at") && stdout.contains("(with timeout)"), "{stdout}");
    assert!(stdout.contains("waiting for the tasks of queue `j` at"), "{stdout}");
    assert!(stdout.contains("waiting for data on pipe `b` at"), "{stdout}");
}

// ---- pipes -------------------------------------------------------------------

#[test]
fn eof_only_after_every_write_end_is_closed() {
    let out = ok(r#"
pipe w -> r
# the child holds a copy of the write end until told to close it
event go
let p = spawn { r.close(); w.send("from child"); go.wait(); w.close() }
w.send("from parent")
w.close()
print(sorted([r.recv(), r.recv()]))
print("before child closes: ready", r.poll(0.3))
go.set()
p.join()
print("after: ready", r.poll(5))
try { r.recv() } catch e { print(e.kind) }
try { r.recv() } catch e { print(e.kind) }
"#);
    assert_eq!(
        out,
        "[\"from child\", \"from parent\"]\nbefore child closes: ready false\nafter: ready true\nEOFError\nEOFError\n"
    );
}

#[test]
fn duplex_and_one_way_ends_and_their_errors() {
    let out = ok(r#"
pipe a, b
a.send([1, "two", {"3": 3.0}])
b.send("back")
print(b.recv(), a.recv(), a.poll(), b.poll(0))
pipe w -> r
try { r.send(1) } catch e { print(e.kind) }
try { w.recv() } catch e { print(e.kind) }
r.close()
try { w.send(1) } catch e { print(e.kind) }
try { r.recv() } catch e { print(e.kind, e.message) }
print(a == a, a == b, type(a))
"#);
    assert_eq!(
        out,
        "[1, \"two\", {\"3\": 3.0}] back false false\nIOError\nIOError\nBrokenPipeError\nIOError this pipe end is closed\ntrue false pipe end\n"
    );
}

#[test]
fn a_pipe_end_unknown_to_the_receiver_is_a_clear_error_there() {
    let out = ok(r#"
queue q
queue res
pipe early_a, early_b
let p = spawn {
    let late = q.get()
    try { late.send(1) } catch e { res.put(e.kind + ": " + e.message) }
    let early = q.get()
    early.send("early works")
    res.put("ok")
}
pipe late_a, late_b           # made after the child was forked
q.put(late_a)
q.put(early_b)
print(res.get())
print(res.get(), early_a.recv())
p.join()
"#);
    assert!(out.starts_with("IOError: this pipe end (made by pid"), "{out}");
    assert!(out.contains("created after this process started"), "{out}");
    assert!(out.ends_with("ok early works\n"), "{out}");
}

#[test]
fn many_messages_through_a_pipe_keep_order() {
    let out = ok(r#"
pipe w -> r
let p = spawn { r.close(); for i in 0..20000 { w.send([i, "x" * (i % 300)]) }; w.close() }
w.close()
let n = 0
let ok = true
try { while true { let m = r.recv(); if m[0] != n or len(m[1]) != n % 300 { ok = false }; n += 1 } } catch e { print(e.kind) }
p.join()
print(n, ok)
"#);
    assert_eq!(out, "EOFError\n20000 true\n");
}

// ---- values crossing processes ----------------------------------------------------

#[test]
fn a_closure_runs_in_the_receiver_with_its_captured_values() {
    let out = ok(r#"
queue tasks
queue results
let factor = 3
fn fact(n) { if n <= 1 { return 1 }; return n * fact(n - 1) }
fn make_adder(k) {
    let base = 10
    return fn(x) { return base + k * x * factor + fact(4) + len("abc") }
}
fn worker() {
    while true {
        let f = tasks.get()
        if f == nil { break }
        results.put(f(2))
    }
}
let w = spawn worker()
# everything below is defined after the worker was forked
fn is_even(n) { if n == 0 { return true }; return is_odd(n - 1) }
fn is_odd(n) { if n == 0 { return false }; return is_even(n - 1) }
let counter = {"hits": 0}
fn bump(x) { counter["hits"] += x; return counter["hits"] }
tasks.put(make_adder(5))
tasks.put(fact)
tasks.put(is_odd)
tasks.put(fn(x) { return [x, x] })
tasks.put(bump)
tasks.put(bump)
tasks.put(nil)
w.join()
for i in 0..6 { print(results.get()) }
print("sender's counter", counter["hits"])
"#);
    // 10 + 5*2*3 + 24 + 3; fact(2); is_odd(2); [2, 2]; each bump works on its own copy.
    assert_eq!(out, "67\n2\nfalse\n[2, 2]\n2\n2\nsender's counter 0\n");
}

#[test]
fn handles_cross_by_identity() {
    let out = ok(r#"
queue q
queue inner
lock l
sem s = 0
event e
shared d = {"n": 0}
let p = spawn {
    let hs = q.get()
    hs["inner"].put("via a queue inside a queue")
    hs["event"].set()
    hs["sem"].release()
    lock hs["lock"] { hs["shared"]["n"] += 5 }
    hs["inner"].put(hs["lock"] == hs["lock"])
}
q.put({"inner": inner, "lock": l, "sem": s, "event": e, "shared": d})
print(inner.get(), e.wait(5), s.acquire(timeout=5), inner.get())
p.join()
print(d["n"])
let sd = shared({"q": inner, "p": p})
print(sd["q"] == inner, sd["p"].pid == p.pid)
try { sd["f"] = fn() { return 1 } } catch e { print(e.kind) }
print(q.qsize())
q.put(print)
q.get()("builtins travel by name")
"#);
    assert_eq!(out, "via a queue inside a queue true true true\n5\ntrue true\nTypeError\n0\nbuiltins travel by name\n");
}

#[test]
fn an_error_in_a_received_function_points_at_its_line() {
    let r = mps(&[
        "-e",
        "queue q\nlet p = spawn { let f = q.get(); f() }\nlet x = 1\nq.put(fn() {\n  return x // 0\n})\np.join()\n",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("ZeroDivisionError"), "{}", r.stderr);
    assert!(r.stderr.contains("<-e>:5:"), "{}", r.stderr);
}

// ---- seed fidelity: a pipe end shared under a lock --------------------------------

/// Two readers share one end (each `recv` under a lock): each of 5,000
/// messages of many sizes arrives whole, exactly once, for both kinds of pipe.
#[test]
fn two_readers_sharing_a_pipe_end_get_every_message_once() {
    for decl in ["pipe w -> r", "pipe w, r"] {
        let src = format!(
            r#"
{decl}
lock rl
queue out
fn reader() {{
    let got = []
    while true {{
        let m = nil
        lock rl {{ m = r.recv() }}
        if m == nil {{ break }}
        got.push(m)
    }}
    out.put(got)
}}
let a = spawn reader()
let b = spawn reader()
for i in 0..5000 {{ w.send([i, "x" * (i % 25 * 400)]) }}
w.send(nil)
w.send(nil)
let all = out.get() + out.get()
a.join()
b.join()
let whole = true
let seen = {{}}
for m in all {{
    if len(m[1]) != m[0] % 25 * 400 {{ whole = false }}
    seen[m[0]] = true
}}
print("received", len(all), "distinct", len(seen), "whole", whole)
"#
        );
        let out = ok(&src);
        assert_eq!(out, "received 5000 distinct 5000 whole true\n", "{decl}");
    }
}

/// Two writers share one end (each `send` under a lock), messages larger than
/// the OS's atomic write: the reader gets every message whole, exactly once,
/// and each writer's messages in its order.
#[test]
fn two_writers_sharing_a_pipe_end_deliver_every_message_once() {
    for decl in ["pipe w -> r", "pipe w, r"] {
        let src = format!(
            r#"
{decl}
lock wl
fn writer(k) {{
    for i in 0..2500 {{ lock wl {{ w.send([k, i, str(k) * (i % 30 * 500)]) }} }}
}}
let a = spawn writer(1)
let b = spawn writer(2)
let next = {{1: 0, 2: 0}}
let ok = true
for n in 0..5000 {{
    let m = r.recv()
    if m[1] != next[m[0]] or len(m[2]) != m[1] % 30 * 500 {{ ok = false }}
    next[m[0]] = m[1] + 1
}}
a.join()
b.join()
print(next, ok, r.poll())
"#
        );
        let out = ok(&src);
        assert_eq!(out, "{1: 2500, 2: 2500} true false\n", "{decl}");
    }
}
