//! Scripts through the real binary: every `tests/cases/NAME.mps` must print
//! exactly `tests/cases/NAME.out` and end with exit code 0.
//!
//! A case may start with header comments that change how it is run:
//! `# exit: N` (the expected exit code) and `# args: a "b c"` (arguments
//! after the script's name). The command line itself (`-e`, `check`,
//! `--seed`) is tested below the case runner. Every lesson script of
//! `scripts/` runs too, to its expected exit code with nothing left behind;
//! where its output order is free, its lesson is checked by properties.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mpscript() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mpscript"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env("NO_COLOR", "1");
    cmd
}

fn run(args: &[&str]) -> Output {
    mpscript().args(args).output().expect("the mpscript binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The files of `dir` ending in `.mps`, in name order.
fn scripts(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the test directory exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "mps"))
        .collect();
    files.sort();
    files
}

/// The value of a `# key: value` comment among the first lines of a script.
fn header<'a>(source: &'a str, key: &str) -> Option<&'a str> {
    let prefix = format!("# {key}:");
    source.lines().take(3).find_map(|l| l.strip_prefix(&prefix)).map(str::trim)
}

/// `one "two words" three` → its three words.
fn split_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let (word, tail) = match rest.strip_prefix('"') {
            Some(quoted) => quoted.split_once('"').expect("a closing quote in `# args:`"),
            None => rest.split_once(' ').unwrap_or((rest, "")),
        };
        out.push(word.to_string());
        rest = tail.trim_start();
    }
    out
}

#[test]
fn every_case_prints_its_expected_output() {
    let cases = scripts("tests/cases");
    assert!(cases.len() >= 10, "the cases are missing");
    let mut failures = Vec::new();
    for script in &cases {
        let source = std::fs::read_to_string(script).expect("a readable case");
        let expected = std::fs::read_to_string(script.with_extension("out"))
            .unwrap_or_else(|_| panic!("{} has no .out file", script.display()));
        let code: i32 = header(&source, "exit").map_or(0, |c| c.parse().expect("`# exit: N` takes a number"));
        let rel = script.strip_prefix(env!("CARGO_MANIFEST_DIR")).expect("inside the crate");
        let out = mpscript()
            .arg(rel)
            .args(header(&source, "args").map(split_args).unwrap_or_default())
            .output()
            .expect("the mpscript binary runs");
        let stdout = text(&out.stdout);
        if stdout != expected || out.status.code() != Some(code) {
            failures.push(format!(
                "── {} (exit {:?}, expected {code})\n── stdout:\n{stdout}── expected:\n{expected}── stderr:\n{}",
                rel.display(),
                out.status.code(),
                text(&out.stderr),
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn dash_e_runs_code_from_the_command_line() {
    let out = run(&["-e", "let x = 6; print(\"x * 7 =\", x * 7)"]);
    assert_eq!(text(&out.stdout), "x * 7 = 42\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn dash_e_gets_the_arguments_after_the_code() {
    let out = run(&["-e", "print(args)", "a", "b"]);
    assert_eq!(text(&out.stdout), "[\"a\", \"b\"]\n");
}

#[test]
fn the_exit_code_of_exit_and_of_a_runtime_error() {
    assert_eq!(run(&["-e", "exit(7)"]).status.code(), Some(7));
    assert_eq!(run(&["-e", "exit()"]).status.code(), Some(0));
    let failed = run(&["-e", "print(\"partial\"); 1 // 0; print(\"never\")"]);
    assert_eq!(text(&failed.stdout), "partial\n");
    assert_eq!(failed.status.code(), Some(1));
}

#[test]
fn check_accepts_a_good_file_without_running_it() {
    let out = run(&["check", "tests/cases/functions.mps", "tests/cases/lexical.mps"]);
    assert_eq!(text(&out.stdout), "", "check must not run the script");
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn check_reports_an_undefined_name_with_exit_code_2() {
    let out = run(&["check", "tests/errors/check_undefined.mps"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("tests/errors/check_undefined.mps:4:7"), "{stderr}");
    assert!(stderr.contains("`totl` is not defined"), "{stderr}");
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn check_reports_a_syntax_error() {
    let out = run(&["check", "tests/cases/lexical.mps", "tests/errors/syntax_missing_block.mps"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("expected a block"), "{}", text(&out.stderr));
}

/// Ten draws of every kind of random number.
const DRAWS: &str = "for i in 0..10 { print(rand(), rand_int(0, 1000000), rand_float(5.0, 6.0)) }";

#[test]
fn seed_makes_rand_reproducible() {
    let first = run(&["--seed", "42", "-e", DRAWS]);
    let again = run(&["--seed", "42", "-e", DRAWS]);
    let other = run(&["--seed", "43", "-e", DRAWS]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert_eq!(text(&first.stdout).lines().count(), 10);
    assert_eq!(text(&first.stdout), text(&again.stdout), "the same seed gives the same numbers");
    assert_ne!(text(&first.stdout), text(&other.stdout), "another seed gives other numbers");
    let unseeded = [run(&["-e", DRAWS]), run(&["-e", DRAWS])];
    assert_ne!(text(&unseeded[0].stdout), text(&unseeded[1].stdout), "without a seed, runs differ");
}

#[test]
fn help_goes_to_stdout_with_exit_code_0() {
    let out = run(&["--help"]);
    assert!(text(&out.stdout).contains("usage: mpscript"));
    assert_eq!(out.status.code(), Some(0));
}

// ---- scripts/: every lesson runs -----------------------------------------------

/// The lessons that end in a deadlock mpscript reports (exit code 3) where
/// Python would hang; each says so in its header comment.
const DEADLOCK_LESSONS: &[&str] = &["deadlock_lock_order.mps", "deadlock_lost_item.mps"];

/// A race meant for `explore`, which asserts it did not oversell: run
/// plainly it usually fails that assertion (exit 1), as its header says.
const RACE_LESSONS: &[&str] = &["explore_tickets.mps"];

/// `scripts/NAME` through the real binary, with a deadline and a scan for
/// leftover processes.
fn lesson(name: &str) -> common::Out {
    let path = format!("scripts/{name}");
    common::run_args(&["--timeout", "60", &path], &path)
}

#[test]
fn every_lesson_script_runs_to_its_expected_exit_code() {
    let lessons = scripts("scripts");
    assert!(lessons.len() >= 20, "the lesson scripts are missing");
    let mut failures = Vec::new();
    for script in &lessons {
        let name = script.file_name().and_then(|n| n.to_str()).expect("a file name");
        let source = std::fs::read_to_string(script).expect("a readable script");
        assert!(source.starts_with(&format!("# {name}")), "{name} must start with `# {name} — what it teaches`");
        if header(&source, "needs").is_some_and(|n| n.starts_with("a Redis server")) {
            // Run against a real server of their own by tests/remote.rs.
            continue;
        }
        let want = if DEADLOCK_LESSONS.contains(&name) { 3 } else { 0 };
        if want == 3 {
            assert!(source.contains("instead of hanging") || source.contains("exit code 3"), "{name}: say so");
        }
        let out = lesson(name);
        if RACE_LESSONS.contains(&name) && matches!(out.code, Some(0 | 1)) && !out.stdout.is_empty() {
            continue;
        }
        if out.code != Some(want) || (want == 0 && out.stdout.is_empty()) {
            failures.push(format!("── {name}: exit {:?}, expected {want}\n{}{}", out.code, out.stdout, out.stderr));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn zombies_orphans_lesson() {
    let out = lesson("zombies_orphans.mps");
    let s = &out.stdout;
    assert_eq!(out.code, Some(0), "{s}{}", out.stderr);
    assert!(s.contains("its state is Z (zombie)"), "{s}");
    assert!(s.contains("lists the live ones: []"), "{s}");
    assert!(s.contains("the zombie is gone: true; exitcode 0"), "{s}");
    assert!(s.contains("exitcode -9 (killed by SIGKILL)"), "{s}");
    assert!(s.contains("adopted by main: true"), "{s}");
}

#[test]
fn shared_objects_lesson() {
    let out = lesson("shared_objects.mps");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let want = "w1 -> 1\nw2 -> 4\nw3 -> 9\nw4 -> 16\n\
                log has 4 names: [\"w1\", \"w2\", \"w3\", \"w4\"]\ntotal: 10\n\
                the plain dict in main is still {}\ncopy w1 = -1 but shared w1 = 1\n\
                a shared dict prints as its value: {\"workers\": 4, \"mode\": \"fast\"}\n";
    assert_eq!(out.stdout, want);
}

/// Callbacks in any order, but each runs to its end before the next starts.
#[test]
fn pool_callbacks_lesson() {
    let out = lesson("pool_callbacks.mps");
    let s = &out.stdout;
    assert_eq!(out.code, Some(0), "{s}{}", out.stderr);
    assert!(s.starts_with("map: [0, 1, 4, 9, 16, 25, 36, 49]\n"), "{s}");
    assert!(s.ends_with("collected: [0, 1, 4, 9, 16, 25]\n"), "{s}");
    assert!(s.contains("map_async callback got [100, 121]\n"), "{s}");
    assert!(s.contains("error_callback got ZeroDivisionError\n"), "{s}");
    let mut open: Option<&str> = None;
    let mut done = std::collections::BTreeSet::new();
    for l in s.lines() {
        match (open, l.strip_prefix("callback start "), l.strip_prefix("callback end ")) {
            (None, Some(v), _) => open = Some(v),
            (Some(v), _, Some(w)) if v == w => {
                done.insert(w.to_string());
                open = None;
            }
            (Some(_), _, _) => panic!("a callback started inside another at {l:?}:\n{s}"),
            _ => {}
        }
    }
    assert_eq!(done.len(), 6, "{s}");
}

#[test]
fn processes_and_signals_lessons_show_process_info_and_ignore_default() {
    let out = lesson("processes.mps");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let s = &out.stdout;
    assert!(s.contains("my parent is MainProcess\n"), "{s}");
    assert!(s.contains("main: I am MainProcess, my parent is nil\n"), "{s}");
    assert!(s.ends_with("children still running: []\n"), "{s}");
    let out = lesson("signals.mps");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let s = &out.stdout;
    assert!(s.contains("deaf: SIGUSR1 ignored, still here\n"), "{s}");
    assert!(s.contains("deaf exitcode -10 (-10: the default action came back)\n"), "{s}");
}

#[test]
fn the_repl_echoes_a_shared_object_as_its_value() {
    let out = common::repl_piped("shared d = {\"a\": 1}\nd\nshared s = \"x\"\ns\nprint(s)\n");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("{\"a\": 1}\n"), "{stdout}");
    assert!(stdout.contains("\"x\"\nx\n"), "{stdout}");
    assert!(!stdout.contains("<shared"), "{stdout}");
}

/// A lesson run from a copy at a path of its own: the every-lesson test may
/// run the same script at the same time, and each run's leftover scan looks
/// for its script's path.
fn lesson_copy(name: &str) -> common::Out {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join(name);
    let source = std::fs::read_to_string(path).expect("a readable lesson");
    common::run_with(&["--timeout", "60"], name.trim_end_matches(".mps"), &source)
}

#[test]
fn barrier_condition_imap_and_rlock_lessons() {
    let out = lesson_copy("barrier_race.mps");
    let s = &out.stdout;
    assert_eq!(out.code, Some(0), "{s}{}", out.stderr);
    assert!(s.contains("started together: 4 of 4\n"), "{s}");
    assert_eq!(s.matches("arrived last and fires the start").count(), 1, "{s}");
    assert!(s.contains("steady: BrokenBarrierError: the barrier broke: ") && s.ends_with("broken: true\n"), "{s}");
    let out = lesson_copy("condition_buffer.mps");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.ends_with("consumed 100 of 100 items; the buffer never held more than 3\n"), "{}", out.stdout);
    let out = lesson_copy("imap_unordered.mps");
    let s = &out.stdout;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let unordered: Vec<&str> = s.lines().filter(|l| l.starts_with("imap_unordered")).collect();
    assert_eq!(unordered.len(), 5, "{s}");
    assert!(s.ends_with("map:            [0, 1, 2, 3, 4]\n"), "{s}");
    let out = lesson_copy("rlock_recursion.mps");
    assert_eq!(
        out.stdout,
        "nodes under a: 4\nfree again: true\nanother process cannot release it: RuntimeError\n\
         a plain lock taken twice: Deadlock\n"
    );
}
