//! `--trace FILE` (Chrome trace-event JSON), `--timeline FILE.svg` and the
//! REPL's `:ps`, through the real binary. The checks are properties of the
//! files (valid, one track or lane per process, slices that nest, the waits
//! and holds the script must show), never an exact interleaving.

mod common;

use common::{run_with, Out};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A worker holds `l` while main waits for it; the second worker waits on
/// an event, takes a sem, and is renamed by main.
const PRODUCER_CONSUMER: &str = r#"
lock l
event taken
event go
sem s = 1
shared total = 0

fn holder() {
    lock l {
        taken.set()
        sleep(0.4)
        total.value += 1
    }
}

fn waiter() {
    go.wait()
    sem s { total.value += 10 }
}

let a = spawn holder()
let b = spawn waiter()
b.name = "Waiter"
taken.wait()
lock l { total.value += 100 }
go.set()
a.join()
b.join()
print(total.value)
"#;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpscript-trace-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// Run `code` with `--trace` and `--timeline`; the output and both files.
fn traced(hint: &str, code: &str) -> (Out, Value, String) {
    let (json, svg) = (temp(&format!("{hint}.json")), temp(&format!("{hint}.svg")));
    let (j, s) = (json.display().to_string(), svg.display().to_string());
    let out = run_with(&["--trace", &j, "--timeline", &s], hint, code);
    let text = std::fs::read_to_string(&json).expect("trace file written");
    let trace: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"));
    let picture = std::fs::read_to_string(&svg).expect("timeline file written");
    let _ = (std::fs::remove_file(json), std::fs::remove_file(svg));
    (out, trace, picture)
}

fn events(trace: &Value) -> &Vec<Value> {
    trace["traceEvents"].as_array().expect("traceEvents is an array")
}

/// `process_name` of each pid; panics unless there is exactly one per pid.
fn tracks(trace: &Value) -> BTreeMap<i64, String> {
    let mut names = BTreeMap::new();
    for e in events(trace).iter().filter(|e| e["ph"] == "M" && e["name"] == "process_name") {
        let pid = e["pid"].as_i64().expect("pid");
        let name = e["args"]["name"].as_str().expect("name").to_string();
        assert!(names.insert(pid, name).is_none(), "two process_name events for pid {pid}");
    }
    names
}

/// Names of the slices (`X`, or `B` with its `E`) on `pid`'s track.
fn slices(trace: &Value, pid: i64) -> Vec<String> {
    events(trace)
        .iter()
        .filter(|e| e["pid"] == pid && (e["ph"] == "X" || e["ph"] == "B"))
        .map(|e| e["name"].as_str().unwrap_or("").to_string())
        .collect()
}

fn instants(trace: &Value, pid: i64) -> Vec<String> {
    events(trace)
        .iter()
        .filter(|e| e["pid"] == pid && e["ph"] == "i")
        .map(|e| e["name"].as_str().unwrap_or("").to_string())
        .collect()
}

fn pid_named(trace: &Value, prefix: &str) -> i64 {
    let found = tracks(trace).into_iter().find(|(_, n)| n.starts_with(prefix));
    found.unwrap_or_else(|| panic!("no track named {prefix}…: {:?}", tracks(trace))).0
}

/// The trace-event format as Perfetto reads it: known phases, pid == tid
/// (one track per process), every `B` closed by an `E` on its track,
/// `X` durations ≥ 0, and slices on one track nested, never overlapping.
fn check_format(trace: &Value) {
    assert_eq!(trace["displayTimeUnit"], "ms");
    let names = tracks(trace);
    let mut open: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut spans: BTreeMap<i64, Vec<(f64, f64)>> = BTreeMap::new();
    for e in events(trace) {
        let pid = e["pid"].as_i64().expect("every event has a pid");
        assert_eq!(e["tid"].as_i64(), Some(pid), "one track per process: {e}");
        assert!(names.contains_key(&pid), "event on a track with no process_name: {e}");
        let ts = || e["ts"].as_f64().unwrap_or_else(|| panic!("no ts: {e}"));
        match e["ph"].as_str().expect("ph") {
            "M" => {}
            "B" => open.entry(pid).or_default().push(e["name"].to_string()),
            "E" => assert!(open.entry(pid).or_default().pop().is_some(), "E without B: {e}"),
            "X" => {
                let dur = e["dur"].as_f64().expect("X has dur");
                assert!(dur >= 0.0, "negative duration: {e}");
                spans.entry(pid).or_default().push((ts(), ts() + dur));
            }
            "i" => {
                assert_eq!(e["s"], "t", "thread-scoped instant: {e}");
                ts();
            }
            other => panic!("unexpected phase {other}: {e}"),
        }
    }
    for (pid, left) in open {
        assert!(left.is_empty(), "unclosed slices on {pid}: {left:?}");
    }
    for (pid, mut list) in spans {
        list.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let mut stack: Vec<(f64, f64)> = Vec::new();
        for (start, end) in list {
            while stack.last().is_some_and(|&(_, e)| e <= start) {
                stack.pop();
            }
            if let Some(&(s, e)) = stack.last() {
                assert!(end <= e + 1e-6, "slice {start}..{end} overlaps {s}..{e} on {pid}");
            }
            stack.push((start, end));
        }
    }
}

#[test]
fn trace_has_one_track_per_process_and_nested_slices() {
    let (out, trace, _) = traced("producer_consumer", PRODUCER_CONSUMER);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "111\n");
    check_format(&trace);
    let names = tracks(&trace);
    assert_eq!(names.len(), 3, "{names:?}");
    for (pid, name) in &names {
        assert!(name.ends_with(&format!(" {pid}")), "tracks are named `name pid`: {name}");
    }
    let main = pid_named(&trace, "MainProcess");
    let holder = pid_named(&trace, "Process-1");
    let waiter = pid_named(&trace, "Waiter");
    // The holder kept `l` for 0.4 s after main knew it had it.
    assert!(slices(&trace, holder).contains(&"hold lock `l`".into()), "{:?}", slices(&trace, holder));
    assert!(slices(&trace, main).contains(&"wait for lock `l`".into()), "{:?}", slices(&trace, main));
    assert!(slices(&trace, main).contains(&"hold lock `l`".into()));
    assert!(slices(&trace, waiter).contains(&"hold sem `s`".into()), "{:?}", slices(&trace, waiter));
    let marks = instants(&trace, main);
    assert!(marks.contains(&"event set `go`".into()), "{marks:?}");
    assert_eq!(marks.iter().filter(|m| m.starts_with("spawn Process-")).count(), 2, "{marks:?}");
    assert!(instants(&trace, holder).contains(&"event set `taken`".into()));
    for pid in [holder, waiter] {
        assert!(instants(&trace, pid).contains(&"exit 0".into()), "{:?}", instants(&trace, pid));
    }
    // Waits carry where they are.
    let wait = events(&trace).iter().find(|e| e["name"] == "wait for lock `l`").expect("wait slice");
    assert!(wait["args"]["at"].as_str().is_some_and(|at| at.ends_with(":25")), "{wait}");
}

#[test]
fn a_process_killed_while_holding_a_lock_still_has_closed_slices() {
    let code = "lock l\nevent held\nlet c = spawn { lock l { held.set(); sleep(30) } }\n\
                held.wait()\nc.kill()\nc.join()\ntry { l.acquire() } catch e { print(e.kind) }\n";
    let (out, trace, picture) = traced("killed_holder", code);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "LockAbandoned\n");
    check_format(&trace);
    let child = pid_named(&trace, "Process-1");
    // The hold ends where the process does (its sleep may not have begun yet).
    let names = slices(&trace, child);
    assert!(names.contains(&"hold lock `l`".into()), "{names:?}");
    assert!(instants(&trace, child).contains(&"killed by SIGKILL".into()), "{:?}", instants(&trace, child));
    check_svg(&picture, 2);
}

#[test]
fn a_deadlocked_run_is_traced_up_to_the_report() {
    let (json, j) = (temp("deadlock.json"), temp("deadlock.json").display().to_string());
    let out = common::run_args(&["--trace", &j, "scripts/deadlock_lock_order.mps"], "scripts/deadlock_lock_order.mps");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let trace: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("written")).expect("valid JSON");
    let _ = std::fs::remove_file(json);
    check_format(&trace);
    assert!(slices(&trace, pid_named(&trace, "MainProcess")).contains(&"wait for lock `b`".into()));
    assert!(slices(&trace, pid_named(&trace, "Process-1")).contains(&"wait for lock `a`".into()));
}

/// Well-formed XML, checked with a small tag stack: every tag closed in
/// order, attribute quotes balanced, `&` only in entities.
fn check_xml(text: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        let after = &rest[open..];
        if let Some(body) = after.strip_prefix("<?") {
            rest = &body[body.find("?>").expect("closed <?") + 2..];
            continue;
        }
        let close = after.find('>').expect("unclosed tag");
        let tag = &after[1..close];
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in <{tag}>");
        assert!(!tag.contains('<'), "`<` inside <{tag}>");
        check_text(tag);
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().expect("tag name"));
        }
        rest = &after[close + 1..];
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
}

fn check_text(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"].iter().any(|e| entity.starts_with(e)),
            "bare & in {text:?}"
        );
    }
    assert!(!text.contains('>') || !text.contains('<'), "stray bracket in {text:?}");
}

fn check_svg(svg: &str, processes: usize) {
    check_xml(svg);
    assert!(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
    assert_eq!(svg.matches("<g class=\"lane\">").count(), processes, "one lane per process");
}

#[test]
fn timeline_is_well_formed_svg_with_one_lane_per_process() {
    let (out, trace, svg) = traced("timeline", PRODUCER_CONSUMER);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    check_svg(&svg, 3);
    for name in tracks(&trace).values() {
        assert_eq!(svg.matches(&format!(">{name}<title>")).count(), 1, "lane labelled {name}");
    }
    // Labels with backticks and hover titles on the bars.
    assert!(svg.contains("<title>wait for lock `l` at "), "{svg}");
    assert!(svg.contains("<title>hold lock `l` at "), "{svg}");
}

#[test]
fn the_checker_refuses_broken_xml() {
    for bad in ["<a><b></a></b>", "<a>", "<a x=\"1></a>", "<a>&</a>"] {
        assert!(std::panic::catch_unwind(|| check_xml(bad)).is_err(), "{bad} accepted");
    }
    check_xml("<?xml version=\"1.0\"?><a x=\"&lt;\"><b/>t &amp; u</a>");
}

#[test]
fn tracing_of_a_name_with_markup_is_escaped() {
    let code = "let p = spawn { sleep(0.05) }\np.name = \"<w&\\\"x'>\"\np.join()\n";
    let (out, trace, svg) = traced("escaping", code);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    check_format(&trace);
    assert!(tracks(&trace).values().any(|n| n.starts_with("<w&\"x'>")), "{:?}", tracks(&trace));
    check_svg(&svg, 2);
}

#[test]
fn an_unwritable_trace_path_is_a_usage_error() {
    let out = run_with(&["--trace", "/nonexistent-dir/t.json"], "bad_path", "print(1)\n");
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("/nonexistent-dir/t.json"), "{}", out.stderr);
    assert_eq!(out.stdout, "");
}

#[test]
fn ps_shows_what_each_process_waits_on_and_the_locks_it_holds() {
    let input = "lock a\nlock b\nb.acquire()\nlet c = spawn { a.acquire(); b.acquire() }\nsleep(1.0)\n\
                 :ps\nb.release()\nc.join()\n";
    let out = common::repl_piped(input);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    let main = lines.iter().position(|l| l.contains("MainProcess")).expect("main listed");
    let worker = lines.iter().position(|l| l.contains("Process-1")).expect("worker listed");
    assert!(lines[main + 1].trim_start().starts_with("holds lock `b` (taken at <stdin:3>:1:"), "{stdout}");
    assert!(
        lines[worker].contains("waiting for lock `b`") && lines[worker].contains("held by MainProcess"),
        "{stdout}"
    );
    assert!(lines[worker + 1].trim_start().starts_with("holds lock `a` (taken at <stdin:4>:"), "{stdout}");
}

#[test]
fn queue_and_pipe_operations_are_instants() {
    let code = "queue q\npipe a, b\nlet c = spawn {\n    for i in 0..3 { q.put(i) }\n    a.send(\"hi\")\n}\n\
                for i in 0..3 { q.get() }\nprint(b.recv())\nc.join()\n";
    let (out, trace, svg) = traced("queue_pipe", code);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "hi\n");
    check_format(&trace);
    check_svg(&svg, 2);
    let (main, child) = (pid_named(&trace, "MainProcess"), pid_named(&trace, "Process-1"));
    let count = |pid, name: &str| instants(&trace, pid).iter().filter(|m| *m == name).count();
    assert_eq!(count(child, "queue put `q`"), 3, "{:?}", instants(&trace, child));
    assert_eq!(count(main, "queue get `q`"), 3, "{:?}", instants(&trace, main));
    assert_eq!(count(child, "pipe send `a`"), 1);
    assert_eq!(count(main, "pipe recv `b`"), 1);
    // Each get comes after its put: the put is timed before the item is visible.
    let times = |pid, name: &str| -> Vec<f64> {
        let ev = events(&trace).iter().filter(|e| e["pid"] == pid && e["name"] == name);
        ev.map(|e| e["ts"].as_f64().expect("ts")).collect()
    };
    let (puts, gets) = (times(child, "queue put `q`"), times(main, "queue get `q`"));
    for (p, g) in puts.iter().zip(&gets) {
        assert!(p <= g, "put at {p} after get at {g}");
    }
}

#[test]
fn a_hot_loop_gives_a_small_timeline() {
    // 20,000 lock holds and 40,000 queue operations: drawn as runs, not one shape each.
    let code = "lock l\nqueue q\nfor i in 0..20000 {\n    lock l { q.put(i) }\n    q.get()\n}\n";
    let (out, trace, svg) = traced("hot_loop", code);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    check_format(&trace);
    assert_eq!(slices(&trace, pid_named(&trace, "MainProcess")).len(), 20000);
    check_svg(&svg, 1);
    assert!(svg.len() < 1_000_000, "timeline of {} bytes", svg.len());
    assert!(svg.contains("hold lock `l` ×"), "runs are counted");
}
