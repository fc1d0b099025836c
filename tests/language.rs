//! Language features that need more than a golden case: `input()` with a
//! real stdin (and after fork), the local-time builtins, and parser limits
//! (deep nesting is a SyntaxError, long chains and argument lists work).

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Run `mpscript ARGS` with `stdin` as its standard input.
fn mps(args: &[&str], stdin: Stdio, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(common::bin());
    cmd.args(args).stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped()).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("mpscript runs")
}

fn script(hint: &str, code: &str) -> common::Script {
    common::Script::new(hint, code)
}

fn stdin_file(hint: &str, text: &str) -> (std::path::PathBuf, Stdio) {
    let path = std::env::temp_dir().join(format!("mpscript-lang-{}-{hint}.txt", std::process::id()));
    std::fs::write(&path, text).expect("write stdin file");
    let f = std::fs::File::open(&path).expect("open stdin file");
    (path, Stdio::from(f))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn input_reads_lines_writes_the_prompt_and_raises_eof_at_the_end() {
    let s = script(
        "input",
        r#"
let name = input("name? ")
let rest = input()
print("[" + name + "]", "[" + rest + "]")
try { input("more? ") } catch e { print(e.kind) }
"#,
    );
    let out = run_piped(&s.arg(), b"Ada Lovelace\r\nlast line without newline");
    assert_eq!(text(&out.stdout), "name? [Ada Lovelace] [last line without newline]\nmore? EOFError\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn spawned_children_read_dev_null_and_a_forked_child_sees_no_buffered_input() {
    let s = script(
        "input_fork",
        r#"
print("parent:", input())
let p = spawn { try { input() } catch e { print("spawned:", e.kind) } }
p.join()
let pid = fork()
if pid == 0 {
    print("forked:", input())
    exit(0)
}
waitpid(pid)
print("parent:", input())
"#,
    );
    for (hint, stdin) in [("file", None), ("pipe", Some(()))] {
        let (path, io) = stdin_file(hint, "one\ntwo\nthree\n");
        let out = if stdin.is_none() { mps(&[&s.arg()], io, &[]) } else { run_piped(&s.arg(), b"one\ntwo\nthree\n") };
        let _ = std::fs::remove_file(path);
        assert_eq!(
            text(&out.stdout),
            "parent: one\nspawned: EOFError\nforked: two\nparent: three\n",
            "{hint}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn ctime_and_strftime_use_local_time() {
    let s = script(
        "clock",
        r#"
print(ctime(0))
print(ctime(946684800 + 3723.9))
print(strftime("%Y-%m-%d %H:%M:%S", 0))
print(strftime("%A %j %%", 1e9))
print(len(ctime()), len(strftime("%Y")))
print("[" + strftime("") + "]", strftime("%Q|%") != nil, len(strftime("%c" * 200, 0)) > 1000)
try { strftime("%Y", 1e300) } catch e { print(e.kind) }
try { ctime("x") } catch e { print(e.kind) }
"#,
    );
    let out = mps(&[&s.arg()], Stdio::null(), &[("TZ", "UTC")]);
    assert_eq!(
        text(&out.stdout),
        "Thu Jan  1 00:00:00 1970\nSat Jan  1 01:02:03 2000\n1970-01-01 00:00:00\nSunday 252 %\n24 4\n[] true true\nOverflowError\nTypeError\n",
        "{}",
        text(&out.stderr)
    );
}

fn syntax_error(code: &str, hint: &str) -> String {
    let s = script(hint, code);
    let mut first = String::new();
    for args in [vec![s.arg()], vec!["check".to_string(), s.arg()]] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = mps(&args, Stdio::null(), &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{hint} {args:?}: {err}");
        first = err.lines().next().unwrap_or_default().to_string();
    }
    first
}

#[test]
fn deep_nesting_is_a_syntax_error_not_a_crash() {
    let cases = [
        ("parens", format!("let x = {}1{}\n", "(".repeat(1000), ")".repeat(1000))),
        ("lists", format!("let x = {}{}\n", "[".repeat(800), "]".repeat(800))),
        ("blocks", format!("{}{}\n", "if true {\n".repeat(300), "}\n".repeat(300))),
        ("strings", format!("print({}1{})\n", "\"{".repeat(150), "}\"".repeat(150))),
    ];
    for (hint, code) in cases {
        let first = syntax_error(&code, hint);
        assert!(first.contains("SyntaxError: nesting too deep"), "{hint}: {first}");
    }
    for (hint, code) in [
        ("nots", format!("print({}true)\n", "not ".repeat(100_000))),
        ("negs", format!("print({}1)\n", "- ".repeat(100_000))),
        ("fields", format!("print(x{})\n", ".a".repeat(100_000))),
        ("powers", format!("print(1{})\n", " ** 1".repeat(100_000))),
    ] {
        let first = syntax_error(&code, hint);
        assert!(first.contains("SyntaxError: nesting too deep"), "{hint}: {first}");
    }
}

#[test]
fn long_chains_and_argument_lists_run() {
    let terms = vec!["1"; 100_000].join(" + ");
    let ors = vec!["false"; 100_000].join(" or ");
    let code = format!("print({terms})\nprint({ors})\nprint(len([{}]))\n", vec!["2"; 80_000].join(", "));
    let s = script("chains", &code);
    let out = mps(&[&s.arg()], Stdio::null(), &[]);
    assert_eq!(text(&out.stdout), "100000\nfalse\n80000\n", "{}", text(&out.stderr));
    // 80,000 call arguments parse (and the call reports the count).
    let call = format!("fn f(a) {{ }}\nf({})\n", vec!["1"; 80_000].join(", "));
    let s = script("args", &call);
    assert_eq!(mps(&["check", &s.arg()], Stdio::null(), &[]).status.code(), Some(0));
    let out = mps(&[&s.arg()], Stdio::null(), &[]);
    assert!(text(&out.stderr).contains("80000 were given"), "{}", text(&out.stderr));
    // Nested blocks within the limit parse and run.
    let mut nested = "print(\"deep\")".to_string();
    for _ in 0..40 {
        nested = format!("let f = fn() {{\n{nested}\n}}\nf()");
    }
    let s = script("nested", &format!("{nested}\n"));
    let out = mps(&[&s.arg()], Stdio::null(), &[]);
    assert_eq!(text(&out.stdout), "deep\n", "{}", text(&out.stderr));
}

/// Run a script with `input` written to its stdin through a pipe.
fn run_piped(script: &str, input: &[u8]) -> std::process::Output {
    let mut child = Command::new(common::bin())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    child.stdin.take().expect("stdin").write_all(input).expect("write");
    child.wait_with_output().expect("ends")
}
