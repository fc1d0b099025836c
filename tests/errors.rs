//! Diagnostics through the real binary: every `tests/errors/NAME.mps`
//! fails with the exit code of its `# exit: N` header and one diagnostic
//! on stderr, kept as the snapshot `tests/snapshots/errors__NAME.snap`.
//!
//! After an intended change, regenerate with
//! `INSTA_UPDATE=always cargo test --release --test errors` and review the
//! diff of the `.snap` files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mpscript(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpscript"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the mpscript binary runs")
}

/// `pid 12345` → `pid [PID]`, so snapshots do not change from run to run.
fn redact_pids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("pid ") {
        out.push_str(&rest[..i + 4]);
        rest = &rest[i + 4..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push_str("[PID]");
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// The scripts of `tests/errors`, relative to the crate, in name order.
fn error_scripts() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("tests/errors"))
        .expect("tests/errors exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "mps"))
        .map(|p| p.strip_prefix(root).expect("inside the crate").to_path_buf())
        .collect();
    files.sort();
    files
}

fn expected_exit(script: &Path) -> i32 {
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(script)).expect("readable");
    let header = source.lines().next().and_then(|l| l.strip_prefix("# exit:"));
    header.unwrap_or_else(|| panic!("{} must start with `# exit: N`", script.display())).trim().parse().expect("N")
}

/// What the user sees: the exit code, then stderr.
fn transcript(out: &Output) -> String {
    let stderr = redact_pids(&String::from_utf8_lossy(&out.stderr));
    format!("exit code: {}\n{stderr}", out.status.code().map_or("none".into(), |c| c.to_string()))
}

fn assert_one_diagnostic(name: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches(" × ").count(), 1, "{name}: exactly one diagnostic\n{stderr}");
    assert!(out.stdout.is_empty() || name == "check_undefined", "{name}: nothing on stdout");
}

#[test]
fn each_error_script_gives_one_diagnostic() {
    let scripts = error_scripts();
    assert!(scripts.len() >= 20, "the error scripts are missing");
    for script in scripts {
        let name = script.file_stem().expect("a name").to_string_lossy().into_owned();
        let out = mpscript(&[script.to_str().expect("UTF-8 path")]);
        assert_eq!(out.status.code(), Some(expected_exit(&script)), "{name}\n{}", transcript(&out));
        assert_one_diagnostic(&name, &out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let place = format!("[{}:", script.display());
        assert!(stderr.contains(&place), "{name}: the diagnostic names file:line:col\n{stderr}");
        insta::assert_snapshot!(name, transcript(&out));
    }
}

/// The names of the grammar's rules that no reader would take for a word.
fn rule_names() -> Vec<String> {
    let grammar = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar/mpscript.pest"))
        .expect("the grammar is readable");
    let mut names: Vec<String> = grammar
        .lines()
        .filter_map(|l| l.split_once(" = ").map(|(name, _)| name.trim().to_string()))
        .filter(|n| !n.is_empty() && !n.starts_with("//") && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .filter(|n| {
            n.contains('_') || ["expr", "ident", "postfix", "primary", "unary", "nl", "sep"].contains(&n.as_str())
        })
        .collect();
    names.extend(["EOI", "SOI", "WHITESPACE", "COMMENT"].map(String::from));
    names
}

#[test]
fn syntax_errors_never_show_grammar_rule_names() {
    let rules = rule_names();
    assert!(rules.iter().any(|r| r == "call_args"), "the grammar's rules were read");
    for script in error_scripts().iter().filter(|s| s.to_string_lossy().contains("syntax_")) {
        let out = mpscript(&[script.to_str().expect("UTF-8 path")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().next().unwrap_or_default();
        assert!(first.contains("SyntaxError"), "{}: {first}", script.display());
        for word in first.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            assert!(!rules.iter().any(|r| r == word), "{}: the rule name `{word}` in {first:?}", script.display());
        }
    }
}

/// Common mistakes, one line each, and the first line of their diagnostic.
const MISTAKES: &[(&str, &str)] = &[
    ("print(1", "expected `,` or `)` to close the call"),
    ("print(", "expected an expression or `)` to close the call"),
    ("f(a=)", "expected an expression after `=`"),
    ("x = (1 + 2", "expected `)` to close the parenthesis"),
    ("x = [1, 2", "expected `,` or `]` to close the list"),
    ("x = [1, 2)", "expected `]` to close the list, found `)`"),
    ("xs[1", "expected `]` to close the index"),
    ("x = {\"a\": 1", "expected `,` or `}` to close the dict"),
    ("fn f(a b) {}", "expected `,` or `)` to close the parameter list"),
    ("while true { print(1)", "expected `}` to close the block"),
    ("if x print(1)", "expected a block `{ … }` after the condition"),
    ("if x {} else print(2)", "expected a block `{ … }` after `else`"),
    ("for x in xs print(x)", "expected a block `{ … }` after `for … in …`"),
    ("let f = fn(x) return x", "expected a block `{ … }` for the function body"),
    ("try {} catch e print(e)", "expected a block `{ … }` after `catch`"),
    ("x = 1 y = 2", "expected a newline or `;` between statements"),
    ("1 +", "expected an expression after `+`"),
    ("x += ", "expected an expression after `+=`"),
    ("throw", "expected an expression after `throw`"),
    ("let = 3", "expected a name after `let`"),
    ("for in xs {}", "expected a name after `for`"),
    ("let x", "expected `=`"),
    ("print(x.)", "expected a field or method name"),
    ("print(1))", "unmatched `)`"),
    ("x = 1 @ 2", "unexpected character `@`"),
    ("1 == 2 == 3", "comparisons cannot be chained"),
    ("print(\"abc", "unclosed string"),
    ("print('abc", "unclosed string"),
    ("print(\"a {x\")", "unclosed `{` in a string"),
    ("print(\"a\\q\")", "unknown escape `\\q` in a string"),
];

#[test]
fn syntax_errors_say_what_was_expected() {
    let mut wrong = Vec::new();
    for (code, message) in MISTAKES {
        let out = mpscript(&["-e", code]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().next().unwrap_or_default();
        if first != format!("  × SyntaxError: {message}") || out.status.code() != Some(2) {
            wrong.push(format!("{code:?}\n  got:  {first}\n  want: {message}"));
        }
        assert!(stderr.contains("[<-e>:1:"), "{code:?}: names the place\n{stderr}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_error_script_makes_the_interpreter_panic() {
    for script in error_scripts() {
        let path = script.to_str().expect("UTF-8 path");
        for out in [mpscript(&[path]), mpscript(&["check", path])] {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{path}: {stderr}");
            assert_ne!(out.status.code(), Some(101), "{path}: {stderr}");
        }
    }
}

#[test]
fn a_missing_script_is_exit_code_2() {
    let out = mpscript(&["tests/errors/no_such_script.mps"]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("cli_missing_script", transcript(&out));
}

#[test]
fn an_unknown_option_shows_the_usage() {
    let out = mpscript(&["--bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!("cli_unknown_option", transcript(&out));
}

#[test]
fn seed_without_a_value_shows_the_usage() {
    let out = mpscript(&["--seed"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("mpscript: --seed needs a value\n"), "{stderr}");
    assert!(stderr.contains("usage: mpscript"), "{stderr}");
}

#[test]
fn a_seed_that_is_not_a_number_is_bad_usage() {
    let out = mpscript(&["--seed", "abc", "-e", "print(1)"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn check_of_a_file_with_an_undefined_name() {
    let out = mpscript(&["check", "tests/errors/check_undefined.mps"]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("check_undefined_name", transcript(&out));
}

#[test]
fn pids_are_redacted() {
    assert_eq!(redact_pids("(pid 12345)\npid x pid 7"), "(pid [PID])\npid x pid [PID]");
}
