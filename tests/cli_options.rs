//! The process options of the command line: `--max-procs`,
//! `--timeout`, `--tag`, through the real binary. As in `processes.rs`, every
//! run is checked to leave no process behind.

mod common;

use common::run_with;
use std::time::Duration;

#[test]
fn max_procs_limits_live_processes() {
    let out = run_with(
        &["--max-procs", "3"],
        "max_procs",
        r#"
let ps = []
for i in 0..3 { ps.push(spawn { sleep(60) }) }
try { spawn { } } catch e { print(e.kind, "|", e.message) }
try { fork() } catch e { print("fork:", e.kind) }
ps[0].terminate(); ps[0].join()
let p = spawn { }                 # room again once one has ended
p.join()
print("spawned again", p.exitcode)
for q in ps { q.terminate(); q.join() }
"#,
    );
    let lines = out.lines();
    assert_eq!(lines.len(), 3, "{out:?}");
    assert!(lines[0].starts_with("ProcessError |") && lines[0].contains("--max-procs 3"), "{out:?}");
    assert_eq!(lines[1], "fork: ProcessError");
    assert_eq!(lines[2], "spawned again 0");
}

#[test]
fn max_procs_default_is_256() {
    let out = run_with(
        &[],
        "max_procs_default",
        r#"
let ps = []
for i in 0..256 { ps.push(spawn { sleep(60) }) }
try { spawn { }; print("257th spawned") } catch e { print(e.kind) }
for p in ps { p.kill() }
for p in ps { p.join() }
print(len(ps))
"#,
    );
    assert_eq!(out.stdout, "ProcessError\n256\n", "stderr: {}", out.stderr);
}

#[test]
fn an_uncaught_max_procs_error_still_ends_the_children() {
    let out = run_with(&["--max-procs", "2"], "max_procs_uncaught", "for i in 0..3 { spawn { sleep(0.3) } }\n");
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("ProcessError"), "{}", out.stderr);
}

#[test]
fn bad_max_procs_is_a_usage_error() {
    let out = common::run_args(&["--max-procs", "lots", "-e", "1"], "--max-procs lots");
    assert_eq!(out.code, Some(2), "{out:?}");
}

#[test]
fn timeout_ends_the_whole_tree_with_124() {
    let out = run_with(
        &["--timeout", "1"],
        "timeout",
        r#"
for i in 0..3 { spawn { sleep(60) } }
spawn daemon { while true { sleep(0.01) } }
spawn { let g = spawn { sleep(60) }; g.join() }
print("started")
let p = spawn { sleep(60) }
p.join()
print("not reached")
"#,
    );
    assert_eq!(out.code, Some(124), "{out:?}");
    assert_eq!(out.stdout, "started\n");
    assert!(out.stderr.contains("--timeout"), "stderr: {}", out.stderr);
    assert!(out.elapsed >= Duration::from_millis(900), "{:?}", out.elapsed);
    assert!(out.elapsed < Duration::from_secs(30), "{:?}", out.elapsed);
}

#[test]
fn timeout_stops_a_busy_main_too() {
    let out = run_with(&["--timeout", "0.5"], "timeout_busy", "let i = 0\nwhile true { i += 1 }\n");
    assert_eq!(out.code, Some(124), "{out:?}");
}

#[test]
fn a_program_that_ends_in_time_is_not_affected() {
    let out = run_with(&["--timeout", "30"], "timeout_ok", "let p = spawn { print(\"hi\") }\np.join()\n");
    assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (Some(0), "hi\n", ""));
}

#[test]
fn tag_prefixes_lines_with_name_and_pid() {
    let out = run_with(
        &["--tag"],
        "tag",
        r#"
print("main line")
let p = spawn { print("child line") }
p.join()
print("child pid", p.pid)
"#,
    );
    let lines = out.lines();
    assert_eq!(lines.len(), 3, "{out:?}");
    let child_pid = lines[2].rsplit(' ').next().expect("pid");
    assert!(lines[0].starts_with("[MainProcess ") && lines[0].ends_with("] main line"), "{lines:?}");
    assert_eq!(lines[1], format!("[Process-1 {child_pid}] child line"));
}

/// Every bad-usage path, found before or after the runtime started, ends
/// with exit code 2 and leaves no process (guardian, child) behind.
#[test]
fn bad_usage_leaves_no_process_behind() {
    let s = common::Script::new("bad_usage", "let p = spawn { print(1) }\np.join()\n");
    let file = s.arg();
    let cases: &[&[&str]] = &[
        &["replay", "--schedule", "nonsense", &file],
        &["--trace", "/nonexistent-dir/x.json", &file],
        &["--timeline", "/nonexistent-dir/x.svg", "-e", "1"],
        &["--max-procs", "0", &file],
        &["--bogus", &file],
        &["-e", "let = 1"],
        &["/nonexistent-dir/missing.mps"],
        &["explore", &file, "--trace", "x.json"],
    ];
    for args in cases {
        let marker =
            args.iter().find(|a| a.contains("nonexistent") || a.contains(".mps")).copied().unwrap_or("let = 1");
        let out = common::run_args(args, marker);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("mpscript") || out.stderr.contains("rror"), "{args:?}: {}", out.stderr);
    }
}
