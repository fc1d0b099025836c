//! `mpscript explore` and `mpscript replay`, through the real binary: the
//! ticket race is found and replayed exactly, its locked version has one
//! outcome, a lost update and a deadlock are found with their schedules,
//! sleeps and timeouts take no real time, and nothing is left behind. Also
//! `--trace` of an ordinary run showing shared reads and writes.
//!
//! Explorations use a fixed `--seed`: the scheduler is deterministic, so
//! each test sees the same runs every time.

mod common;

use common::{run_args, run_with, Out, Script};

/// The lost update: two processes each add 1 three times to a shared
/// value, with a read and a separate write each time.
const COUNTER: &str = r#"
shared n = 0
fn inc() {
    for i in 0..3 { n.value += 1 }
}
let ps = [spawn inc(), spawn inc()]
for p in ps { p.join() }
print("count: {n.value}")
assert(n.value == 6, "lost updates: {n.value}")
"#;

/// Two processes take two locks in opposite orders.
const LOCK_ORDER: &str = r#"
lock a
lock b
fn one() { lock a { lock b { } } }
fn two() { lock b { lock a { } } }
let p = spawn one()
let q = spawn two()
p.join()
q.join()
print("done")
"#;

fn explore(opts: &[&str], file: &str) -> Out {
    let mut args = vec!["explore"];
    args.extend_from_slice(opts);
    args.push(file);
    run_args(&args, file)
}

fn explore_code(opts: &[&str], hint: &str, code: &str) -> (Out, Script) {
    let s = Script::new(hint, code);
    (explore(opts, &s.arg()), s)
}

/// `replay --schedule S FILE MORE...` (options may follow the file).
fn replay(schedule: &str, file: &str, more: &[&str]) -> Out {
    let mut args = vec!["replay", "--schedule", schedule, file];
    args.extend_from_slice(more);
    run_args(&args, file)
}

/// The outcome blocks of an explore report: (header line, schedule, body).
fn outcomes(report: &str) -> Vec<(String, String, String)> {
    report
        .split("\noutcome ")
        .skip(1)
        .map(|block| {
            let header = block.lines().next().unwrap_or_default().to_string();
            let schedule = block
                .lines()
                .find_map(|l| l.trim().strip_prefix("schedule: "))
                .unwrap_or_else(|| panic!("no schedule in {block}"))
                .to_string();
            (header, schedule, block.to_string())
        })
        .collect()
}

/// The schedule of the first outcome whose block contains `text`.
fn schedule_of(report: &str, text: &str) -> String {
    outcomes(report)
        .into_iter()
        .find(|(_, _, body)| body.contains(text))
        .unwrap_or_else(|| panic!("no outcome with {text:?} in:\n{report}"))
        .1
}

#[test]
fn the_ticket_race_is_found_and_explore_exits_non_zero() {
    let r = explore(&["--runs", "60", "--seed", "7"], "scripts/explore_tickets.mps");
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("explored scripts/explore_tickets.mps: 60 runs"), "{}", r.stdout);
    let oversold = outcomes(&r.stdout)
        .into_iter()
        .filter(|(_, _, body)| body.contains("| tickets sold: 2 of 1") || body.contains("| tickets sold: 3 of 1"))
        .collect::<Vec<_>>();
    assert!(!oversold.is_empty(), "{}", r.stdout);
    for (header, _, body) in oversold {
        assert!(header.contains("exit code 1 (failed)"), "{header}");
        assert!(body.contains("AssertionError: oversold"), "the diagnostic is shown: {body}");
    }
    let total: u32 = outcomes(&r.stdout)
        .iter()
        .map(|(h, _, _)| {
            let count = h.split_once(": ").and_then(|(_, rest)| rest.split(" of ").next()?.parse::<u32>().ok());
            count.unwrap_or_else(|| panic!("no count in {h}"))
        })
        .sum();
    assert_eq!(total, 60, "every run is counted once: {}", r.stdout);
}

#[test]
fn replaying_the_race_gives_the_same_run_every_time() {
    let r = explore(&["--runs", "20", "--seed", "11"], "scripts/explore_tickets.mps");
    let schedule = schedule_of(&r.stdout, "AssertionError");
    let first = replay(&schedule, "scripts/explore_tickets.mps", &[]);
    let second = replay(&schedule, "scripts/explore_tickets.mps", &[]);
    assert_eq!(first.code, Some(1), "{}", first.stderr);
    assert!(first.stdout.starts_with("tickets sold: "), "{}", first.stdout);
    assert_ne!(first.stdout, "tickets sold: 1 of 1\n");
    assert_eq!((&first.stdout, first.code), (&second.stdout, second.code));
    assert!(first.stderr.contains("AssertionError: oversold"), "{}", first.stderr);
}

#[test]
fn the_locked_sale_has_exactly_one_outcome() {
    // The options may also follow the file, as in `explore FILE --runs 60`.
    let file = "scripts/explore_tickets_fixed.mps";
    let r = run_args(&["explore", file, "--runs", "60", "--seed", "7"], file);
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("60 runs") && r.stdout.contains("1 distinct outcome, 0 runs failed"), "{}", r.stdout);
    assert!(r.stdout.contains("outcome 1: 60 of 60 runs, exit code 0"), "{}", r.stdout);
    assert!(r.stdout.contains("    | tickets sold: 1 of 1\n"), "{}", r.stdout);
}

#[test]
fn a_lost_update_on_a_shared_value_is_found() {
    let (r, _s) = explore_code(&["--runs", "60", "--seed", "3"], "counter", COUNTER);
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    let found = outcomes(&r.stdout);
    assert!(found.iter().any(|(_, _, b)| b.contains("| count: 6")), "the right total is one outcome: {}", r.stdout);
    let lost: Vec<i64> = found
        .iter()
        .filter_map(|(_, _, b)| b.split("| count: ").nth(1)?.lines().next()?.parse().ok())
        .filter(|&n| n < 6)
        .collect();
    assert!(!lost.is_empty(), "{}", r.stdout);
    assert!(lost.iter().all(|&n| (3..6).contains(&n)), "{lost:?}");
}

#[test]
fn a_deadlock_is_reported_with_its_schedule() {
    let (r, s) = explore_code(&["--runs", "30", "--seed", "5"], "lock_order", LOCK_ORDER);
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    let (header, schedule, body) = outcomes(&r.stdout)
        .into_iter()
        .find(|(h, _, _)| h.contains("deadlock"))
        .unwrap_or_else(|| panic!("no deadlock found: {}", r.stdout));
    assert!(header.contains("exit code 3: deadlock (failed)"), "{header}");
    assert!(body.contains("every process is waiting and none can ever be woken"), "{body}");
    assert!(body.contains("waits for lock `b`") && body.contains("waits for lock `a`"), "{body}");
    // The schedule gives that deadlock again.
    let again = replay(&schedule, &s.arg(), &[]);
    assert_eq!(again.code, Some(3), "{}", again.stderr);
    assert!(again.stderr.contains("Deadlock"), "{}", again.stderr);
    assert_eq!(again.stdout, "");
}

#[test]
fn sleeps_and_timeouts_take_no_real_time_under_replay() {
    // Real time would be 100 s of sleep and 200 s of timeouts (past the
    // tests' deadline); under the scheduler the clock jumps.
    let code = r#"
queue q
event e
let t = time()
sleep(100)
try { q.get(timeout=100.0) } catch err { print(err.kind) }
print(e.wait(timeout=100.0))
let p = spawn { sleep(50); q.put("late") }
print(q.get())
p.join()
print(round(time() - t))
"#;
    let s = Script::new("virtual", code);
    let r = replay("pct-1-d3-k10", &s.arg(), &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, "Empty\nfalse\nlate\n350\n");
}

#[test]
fn queues_pipes_events_and_pools_work_under_the_scheduler() {
    let code = r#"
queue q = 2
pipe a, b
event go
sem s = 1
fn producer() {
    go.wait()
    for i in 0..5 { q.put(i) }
    q.put(nil)
}
fn talker() {
    sem s { a.send("hello") }
    a.close()
}
let p = spawn producer()
let t = spawn talker()
a.close()
go.set()
let got = []
while true {
    let x = q.get()
    if x == nil { break }
    got.push(x)
}
print(got, b.recv())
try { b.recv() } catch e { print(e.kind) }
p.join()
t.join()
fn sq(x) { return x * x }
pool workers = 2
print(workers.map(sq, [1, 2, 3, 4]))
"#;
    let (r, _s) = explore_code(&["--runs", "12", "--seed", "9"], "mixed", code);
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("1 distinct outcome, 0 runs failed"), "{}", r.stdout);
    assert!(r.stdout.contains("| [0, 1, 2, 3, 4] hello\n    | EOFError\n    | [1, 4, 9, 16]\n"), "{}", r.stdout);
}

#[test]
fn replay_draws_the_interleaving_with_shared_reads_and_writes() {
    let s = Script::new("counter_drawn", COUNTER);
    let dir = std::env::temp_dir().join(format!("mpscript-explore-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let svg = dir.join("lost.svg");
    let r = replay("pct-2a-d3-k40", &s.arg(), &["--timeline", &svg.display().to_string()]);
    assert!(r.stdout.starts_with("count: "), "{}", r.stdout);
    let picture = std::fs::read_to_string(&svg).expect("timeline written");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(picture.contains("read `n.value` → "), "shared reads are drawn");
    assert!(picture.contains("write `n.value` ← "), "shared writes are drawn");
}

#[test]
fn an_ordinary_trace_records_shared_reads_and_writes_with_value_and_line() {
    let dir = std::env::temp_dir().join(format!("mpscript-explore-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let json = dir.join("t.json");
    let code = "shared d = {\"count\": 5}\nd[\"count\"] -= 1\nshared n = 0\nlet p = spawn { n.value = 7 }\np.join()\nprint(n.value)\n";
    let r = run_with(&["--trace", &json.display().to_string()], "shared_trace", code);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let text = std::fs::read_to_string(&json).expect("trace written");
    let _ = std::fs::remove_dir_all(&dir);
    let trace: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let marks: Vec<(String, String)> = trace["traceEvents"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["ph"] == "i" && e["cat"].as_str().is_some_and(|c| c.starts_with("shared")))
        .map(|e| (e["name"].as_str().unwrap_or("").to_string(), e["args"]["at"].as_str().unwrap_or("").to_string()))
        .collect();
    let has = |name: &str, line: &str| marks.iter().any(|(n, at)| n == name && at.ends_with(line));
    assert!(has("read `d[\"count\"]` → 5", ":2"), "{marks:?}");
    assert!(has("write `d[\"count\"]` ← 4", ":2"), "{marks:?}");
    assert!(has("write `n.value` ← 7", ":4"), "a child's write: {marks:?}");
    assert!(has("read `n.value` → 7", ":6"), "{marks:?}");
}

#[test]
fn bad_usage_is_refused_with_exit_code_2() {
    let cases: [&[&str]; 5] = [
        &["replay", "scripts/hello.mps"],
        &["replay", "--schedule", "pct-zz", "scripts/hello.mps"],
        &["explore"],
        &["explore", "--runs", "0", "scripts/hello.mps"],
        &["explore", "--depth", "x", "scripts/hello.mps"],
    ];
    for args in cases {
        let r = run_args(args, "scripts/hello.mps");
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("mpscript: "), "{args:?}: {}", r.stderr);
    }
    // A script with a syntax error is reported once, not once per run.
    let s = Script::new("broken", "let = 1\n");
    let r = run_args(&["explore", "--runs", "5", &s.arg()], &s.arg());
    assert_eq!(r.code, Some(2));
    assert_eq!(r.stderr.matches("SyntaxError").count(), 1, "{}", r.stderr);
}

#[test]
fn nothing_is_left_behind_after_explore() {
    // A daemon that never ends and a child killed mid-run: every run must
    // still end with its whole tree reaped (run_args scans /proc).
    let code = r#"
let d = spawn daemon { while true { sleep(1) } }
let k = spawn { sleep(1000) }
k.kill()
k.join()
print(k.exitcode)
"#;
    let (r, _s) = explore_code(&["--runs", "10", "--seed", "1"], "leftovers", code);
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("| -9\n"), "{}", r.stdout);
    let shm: Vec<String> = std::fs::read_dir("/dev/shm")
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    assert!(shm.iter().all(|n| !n.contains("mpscript")), "{shm:?}");
}
