//! Deadlock detection: a real deadlock stops the run with a
//! report and exit code 3; waits that can still end never raise an alarm.

mod common;

use common::{run, run_args, run_with};
use std::time::Duration;

#[test]
fn locks_taken_in_opposite_order_are_reported() {
    let out = run_args(&["scripts/deadlock_lock_order.mps"], "scripts/deadlock_lock_order.mps");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.elapsed < Duration::from_secs(5), "took {:?}", out.elapsed);
    let err = &out.stderr;
    assert!(err.contains("Deadlock"), "{err}");
    assert!(err.contains("MainProcess") && err.contains("Process-1"), "both processes named: {err}");
    assert!(err.contains("lock `a`") && err.contains("lock `b`"), "both locks named: {err}");
    // Both waits (lines 15 and 22) and both takes (lines 13 and 20) are shown.
    for line in ["deadlock_lock_order.mps:15", "deadlock_lock_order.mps:22"] {
        assert!(err.contains(line), "{line} in {err}");
    }
    assert!(err.contains("held by"), "{err}");
    assert!(!out.stdout.contains("got both"), "{}", out.stdout);
}

#[test]
fn the_fixed_lock_order_runs_to_the_end() {
    let out = run_args(&["scripts/deadlock_lock_order_fixed.mps"], "scripts/deadlock_lock_order_fixed.mps");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("worker got both") && out.stdout.contains("main got both"));
}

#[test]
fn a_wait_nobody_can_end_is_reported() {
    let out = run("lost_event", "event ready\nlet c = spawn { ready.wait() }\nc.join()\n");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains("event `ready`"), "{}", out.stderr);
    assert!(out.stderr.contains("the end of `c`"), "{}", out.stderr);
}

#[test]
fn a_deadlock_cannot_be_caught() {
    let out = run("uncatchable", "event e\ntry { e.wait() } catch err { print(\"caught\") }\n");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(!out.stdout.contains("caught"));
}

/// Each of these waits can end, so the run must reach its end normally.
#[test]
fn no_false_alarms() {
    let cases = [
        ("timed_wait", "event e\nlet c = spawn { print(e.wait(timeout=1.2)) }\nc.join()\n", "false"),
        ("sleeping", "event e\nlet c = spawn { sleep(1.2); e.set() }\ne.wait()\nprint(\"woke\")\n", "woke"),
        (
            "computing",
            "event e\nlet c = spawn { let i = 0\n while i < 2000000 { i += 1 }\n e.set() }\ne.wait()\nprint(\"done\")\n",
            "done",
        ),
        ("run_command", "event e\nlet c = spawn { run(\"sleep 1.2\"); e.set() }\ne.wait()\nprint(\"ran\")\n", "ran"),
        (
            "signal_handler",
            "event e\nlet c = spawn {\n signal(\"SIGUSR1\", fn(n) { e.set() })\n event never\n never.wait()\n}\nsleep(1.2)\nkill(c.pid, \"SIGUSR1\")\ne.wait()\nprint(\"signalled\")\nc.kill()\n",
            "signalled",
        ),
    ];
    for (hint, code, expect) in cases {
        let out = run(hint, code);
        assert_eq!(out.code, Some(0), "{hint}: {}", out.stderr);
        assert!(out.stdout.contains(expect), "{hint}: {}", out.stdout);
    }
}

#[test]
fn a_consumer_waiting_for_an_item_nobody_puts_is_reported() {
    let out = run_args(&["scripts/deadlock_lost_item.mps"], "scripts/deadlock_lost_item.mps");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.elapsed < Duration::from_secs(5), "took {:?}", out.elapsed);
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    let err = &out.stderr;
    assert!(err.contains("MainProcess") && err.contains("Process-1"), "{err}");
    assert!(err.contains("queue `q`") && err.contains("deadlock_lost_item.mps:13"), "{err}");
    assert!(err.contains("the end of `c`") && err.contains("deadlock_lost_item.mps:19"), "{err}");
    assert!(err.contains("sentinel"), "{err}");
}

#[test]
fn the_fixed_consumer_stops_at_the_sentinel() {
    let out = run_args(&["scripts/deadlock_lost_item_fixed.mps"], "scripts/deadlock_lost_item_fixed.mps");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "got a\ngot b\ngot c\n");
}

#[test]
fn main_waiting_on_a_queue_nobody_fills_is_reported() {
    let out = run("queue_wait", "queue q\nqueue r\nlet d = spawn daemon { q.get() }\nprint(r.get())\n");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains("queue `r`") && out.stderr.contains("queue `q`"), "{}", out.stderr);
}

#[test]
fn two_processes_each_waiting_to_receive_on_a_pipe_are_reported() {
    let out = run("pipe_wait", "pipe a, b\nlet c = spawn { b.recv() }\nprint(a.recv())\n");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains("pipe `a`") && out.stderr.contains("pipe `b`"), "{}", out.stderr);
}

/// A writer blocked on a full pipe nobody reads takes part in deadlock
/// detection: main joins a child stuck in `send` (one-way and duplex pipes),
/// or main itself is stuck sending to a child that waits for it.
#[test]
fn a_writer_blocked_on_a_full_pipe_is_a_deadlock() {
    for decl in ["pipe w -> r", "pipe w, r"] {
        let out = run_with(
            &["--timeout", "60"],
            "pipe_full",
            &format!("{decl}\nlet c = spawn {{ w.send(\"x\" * 4000000) }}\nc.join()\nprint(\"never\")\n"),
        );
        assert_eq!(out.code, Some(3), "{decl}: {}", out.stderr);
        assert!(out.stderr.contains("Deadlock"), "{}", out.stderr);
        assert!(out.stderr.contains("waits for room in pipe `w`"), "{}", out.stderr);
        assert!(out.stderr.contains("waits for the end of `c`"), "{}", out.stderr);
        assert_eq!(out.stdout, "");
    }
    let out = run_with(
        &["--timeout", "60"],
        "pipe_full_main",
        "pipe w -> r\nevent e\nlet c = spawn { e.wait(); r.recv() }\nw.send(\"x\" * 4000000)\ne.set()\n",
    );
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains("MainProcess") && out.stderr.contains("room in pipe `w`"), "{}", out.stderr);
    assert!(out.stderr.contains("event `e`"), "{}", out.stderr);
}

/// A big message to a reader that does read is no deadlock, however long
/// the writer waits for room.
#[test]
fn a_big_message_to_a_slow_reader_arrives() {
    let out = run_with(
        &["--timeout", "60"],
        "pipe_big",
        "pipe w -> r\nlet c = spawn { sleep(0.6); print(len(r.recv())) }\nw.send(\"y\" * 4000000)\nc.join()\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "4000000\n");
}

/// When the main code ends and its children can never
/// finish, that is a deadlock too — reported, never a silent kill.
#[test]
fn a_deadlock_at_the_end_of_the_program_is_reported() {
    let out = run("end_deadlock", "queue q\nlet c = spawn { q.get()\n print(\"never\") }\n");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(!out.stdout.contains("never"), "{}", out.stdout);
    let err = &out.stderr;
    assert!(err.contains("MainProcess") && err.contains("its children to end"), "{err}");
    assert!(err.contains("Process-1") && err.contains("queue `q`"), "{err}");
}

/// Python's order: the daemons end with the main code, before the other
/// children are waited for.
#[test]
fn daemons_end_before_the_other_children_are_waited_for() {
    let code = "let d = spawn daemon { while true { print(\"tick\")\n sleep(0.1) } }\nlet w = spawn { sleep(1)\n print(\"worker done\") }\nsleep(0.3)\nprint(\"main ends\")\n";
    let out = run("daemon_order", code);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines = out.lines();
    let end = lines.iter().position(|l| *l == "main ends").expect("main ends");
    let after = lines[end..].iter().filter(|l| **l == "tick").count();
    assert!(after <= 2, "the daemon printed {after} times after the main code ended: {lines:?}");
    assert_eq!(lines.last(), Some(&"worker done"), "{lines:?}");
}

#[test]
fn a_daemon_cannot_start_children() {
    let out = run(
        "daemon_children",
        "let d = spawn daemon { spawn { print(\"grandchild\") } }\nd.join()\nprint(d.exitcode)\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "1\n");
    assert!(out.stderr.contains("ProcessError") && out.stderr.contains("daemonic processes"), "{}", out.stderr);
}

/// A producer killed by a broken stdout pipe (`mpscript x | head -3`) is
/// named in the report, with how it died, instead of a sentinel hint.
#[test]
fn a_deadlock_report_names_a_producer_that_died() {
    use std::io::{BufRead, BufReader, Read};
    use std::os::unix::process::CommandExt;
    let code = "queue q\nlet p = spawn { let i = 0\n while true { print(\"item\", i)\n q.put(i)\n i += 1 } }\nlet c = spawn { while true { if q.get() < 0 { break } } }\nc.join()\n";
    let script = common::Script::new("died_producer", code);
    let arg = script.arg();
    let mut child = std::process::Command::new(common::bin())
        .args(["--timeout", "60", &arg])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start mpscript");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    for _ in 0..3 {
        out.read_line(&mut String::new()).expect("a line");
    }
    drop(out); // as `| head -3` does
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("stderr");
    let status = child.wait().expect("wait");
    assert!(common::leftovers(child.id() as i32, &arg).is_empty());
    assert_eq!(status.code(), Some(3), "{err}");
    assert!(err.contains("Process-1") && err.contains("died of SIGPIPE"), "{err}");
    assert!(err.contains("Process-2") && err.contains("queue `q`"), "{err}");
    assert!(!err.contains("sentinel"), "{err}");
}
