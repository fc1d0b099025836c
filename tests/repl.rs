//! The REPL driven through a pipe (LANGUAGE.md §12): each test feeds lines
//! to the real binary's standard input and checks what comes out.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

/// What one REPL session printed, and how it ended.
struct Session {
    stdout: String,
    stderr: String,
    code: i32,
}

fn repl(input: &str) -> Session {
    let out = common::repl_piped(input);
    Session {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

#[test]
fn echoes_expression_values() {
    let s = repl("1 + 2\n\"hi\"\n[1, \"b\", nil]\nlet x = 5\nx * 2\nnil\n");
    assert_eq!(s.stdout, "3\n\"hi\"\n[1, \"b\", nil]\n10\n");
    assert_eq!(s.stderr, "");
    assert_eq!(s.code, 0);
}

#[test]
fn print_shows_text_and_echoes_nothing() {
    let s = repl("print(\"x\")\n");
    assert_eq!(s.stdout, "x\n");
}

#[test]
fn no_prompt_or_banner_when_piped() {
    let s = repl("");
    assert_eq!((s.stdout.as_str(), s.stderr.as_str(), s.code), ("", "", 0));
}

#[test]
fn multi_line_function() {
    let s = repl("fn add(a,\n       b) {\n    let s = \"{a} }\"\n    return a + b\n}\nadd(2, 3)\n");
    assert_eq!(s.stdout, "5\n", "stderr: {}", s.stderr);
}

#[test]
fn else_on_its_own_line() {
    let s = repl("if false {\n    print(\"yes\")\n}\nelse {\n    print(\"no\")\n}\n7\n");
    assert_eq!(s.stdout, "no\n7\n", "stderr: {}", s.stderr);
}

#[test]
fn trailing_operator_continues() {
    let s = repl("1 +\n  2\n");
    assert_eq!(s.stdout, "3\n", "stderr: {}", s.stderr);
}

#[test]
fn an_error_does_not_end_the_session() {
    let s = repl("1 / 0\nprint(\"after\")\n");
    assert!(s.stderr.contains("ZeroDivisionError"), "stderr: {}", s.stderr);
    assert!(s.stderr.contains("<stdin:1>"), "stderr: {}", s.stderr);
    assert_eq!(s.stdout, "after\n");
    assert_eq!(s.code, 0);
}

#[test]
fn diagnostics_name_the_entrys_first_line() {
    let s = repl("1\n\nfn f() {\n  return nope\n}\nf()\n");
    assert!(s.stderr.contains("<stdin:6>"), "stderr: {}", s.stderr);
}

#[test]
fn unclosed_bracket_at_end_of_input_is_reported() {
    let s = repl("print(1,\n");
    assert!(s.stderr.contains("SyntaxError"), "stderr: {}", s.stderr);
    assert_eq!(s.code, 0);
}

#[test]
fn exit_ends_with_its_code() {
    let s = repl("print(\"a\")\nexit(3)\nprint(\"b\")\n");
    assert_eq!(s.stdout, "a\n");
    assert_eq!(s.code, 3);
}

#[test]
fn load_runs_a_file_among_the_globals() {
    let dir = std::env::temp_dir().join(format!("mpscript-repl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("lib.mps");
    std::fs::write(&file, "fn triple(x) {\n    return 3 * x\n}\nlet loaded = true\nprint(\"loaded\")\n")
        .expect("write temp file");
    let s = repl(&format!(":load {}\ntriple(4)\nloaded\n:load {}/missing.mps\n1\n", file.display(), dir.display()));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(s.stdout, "loaded\n12\ntrue\n1\n", "stderr: {}", s.stderr);
    assert!(s.stderr.contains("missing.mps"), "stderr: {}", s.stderr);
}

#[test]
fn commands() {
    let s = repl(":help\n:ps\n:nope\n:quit\nprint(\"not reached\")\n");
    assert!(s.stdout.contains(":load"), "stdout: {}", s.stdout);
    assert!(s.stdout.contains("no child processes"), "stdout: {}", s.stdout);
    assert!(!s.stdout.contains("not reached"));
    assert!(s.stderr.contains("unknown command `:nope`"), "stderr: {}", s.stderr);
    assert_eq!(s.code, 0);
}

/// The terminal path, through util-linux `script` as a pseudo-terminal;
/// skipped where `script` is missing or no pseudo-terminal can be opened.
#[test]
fn interactive_through_a_pty() {
    let pty_works =
        Command::new("script").args(["-qec", "true", "/dev/null"]).output().is_ok_and(|o| o.status.success());
    if !pty_works {
        eprintln!("skipped: util-linux `script` cannot open a pseudo-terminal here");
        return;
    }
    let dir = std::env::temp_dir().join(format!("mpscript-pty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let history = dir.join("state/history");
    let bin = env!("CARGO_BIN_EXE_mpscript");
    let input = "fn sq(n) {\nreturn n * n\n}\nsq(7)\n\u{4}";
    let mut child = Command::new("script")
        .args(["-qec", bin, "/dev/null"])
        .env("MPSCRIPT_HISTORY", &history)
        .env("TERM", "dumb")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start script");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("wait for script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let saved = std::fs::read_to_string(&history).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(stdout.contains("mpscript 0.1.0"), "stdout: {stdout}");
    assert!(stdout.contains(">>> ") && stdout.contains("... "), "stdout: {stdout}");
    assert!(stdout.contains("49"), "stdout: {stdout}");
    assert!(saved.contains("sq(7)"), "history: {saved}");
    assert_eq!(out.status.code(), Some(0));
}
