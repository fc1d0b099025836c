//! Scripts through the real binary: every `tests/cases/NAME.mps` must print
//! exactly `tests/cases/NAME.out` and end with exit code 0.
//!
//! A case may start with header comments that change how it is run:
//! `# exit: N` (the expected exit code) and `# args: a "b c"` (arguments
//! after the script's name). The command line itself (`-e`, `check`,
//! `--seed`) is tested below the case runner.

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
