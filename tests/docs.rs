//! Every code block of `docs/` (and of the README) runs through the real
//! binary, and the output it shows is the output it gives.
//!
//! Fences (the first word of the info string):
//! - ` ```mps ` — a whole script. It must exit 0 unless the info string says
//!   `exit=N`. A directly following ` ```output ` block is its exact stdout,
//!   a following ` ```error ` block its exact stderr (the script is named
//!   `example.mps`, pids show as `pid N`). With `sorted` in the info string
//!   (of either block) the output's lines are compared as a multiset (order free); other
//!   properties of a concurrent example are checked by the example's own
//!   `assert`s.
//! - ` ```console ` — `$ ` lines are shell commands (run in the repository
//!   root with this build's `mpscript` first on PATH, stderr merged into
//!   stdout); the lines after each are its exact output. `exit=N`: every
//!   command ends with N.
//! - ` ```repl ` — `>>> ` and `... ` lines are typed into the REPL (through a
//!   pipe), every other line is its expected output, in order.
//! - ` ```rust ` — must be one of the embedding examples compiled below.
//! - ` ```text `, ` ```output `, ` ```error ` — not run (illustrations,
//!   grammar, or the output of the block before).
//!
//! Any other fence is an error, so nothing slips through unrun.
//! Every `scripts/exercises/*.mps` (the tutorial's solutions) runs to exit 0
//! with output.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One fenced block.
#[derive(Debug, Clone)]
struct Block {
    file: String,
    line: usize,
    lang: String,
    attrs: Vec<String>,
    body: String,
}

impl Block {
    fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    fn exit(&self) -> i32 {
        self.attrs.iter().find_map(|a| a.strip_prefix("exit=")).map_or(0, |n| n.parse().expect("exit=N"))
    }

    fn has(&self, attr: &str) -> bool {
        self.attrs.iter().any(|a| a == attr)
    }
}

fn blocks_of(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(file).expect("readable doc");
    let name = file.strip_prefix(common::root()).unwrap_or(file).display().to_string();
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else { continue };
        let mut words = info.split_whitespace().map(str::to_string);
        let lang = words.next().unwrap_or_default();
        let attrs = words.collect();
        let mut body = String::new();
        for (_, l) in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        out.push(Block { file: name.clone(), line: n + 1, lang, attrs, body });
    }
    out
}

fn doc_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("docs/ exists").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&common::root().join("docs"), &mut files);
    files.sort();
    files
}

/// `pid 12345` → `pid N`; the script's temporary name → `example.mps`.
fn normalize(text: &str, script: &str) -> String {
    let text = text.replace(script, "example.mps");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("pid ") {
        out.push_str(&rest[..i + 4]);
        rest = &rest[i + 4..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push('N');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim_end().to_string()
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_string).collect();
    v.sort();
    v
}

/// Run an ```mps block (and check the ```output / ```error after it).
fn check_script(block: &Block, next: Option<&Block>, after: Option<&Block>) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("mpscript-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let name = format!("doc{}-{}.mps", block.line, block.file.replace(['/', '.'], "_"));
    std::fs::write(dir.join(&name), &block.body).expect("write script");
    let mut cmd = Command::new(common::bin());
    cmd.args(["--timeout", "30", &name])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .env("MPSCRIPT_HISTORY", "")
        .stdin(Stdio::null());
    let out = cmd.output().expect("run mpscript");
    let _ = std::fs::remove_file(dir.join(&name));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code();
    let mut errs = Vec::new();
    if code != Some(block.exit()) {
        errs.push(format!("exit code {code:?}, expected {}", block.exit()));
    }
    let shown: Vec<&Block> =
        [next, after].into_iter().flatten().take_while(|b| b.lang == "output" || b.lang == "error").collect();
    for b in shown {
        let (got, what) = if b.lang == "output" { (&stdout, "stdout") } else { (&stderr, "stderr") };
        let got = normalize(got, &name);
        let want = b.body.trim_end().to_string();
        let same = if block.has("sorted") || b.has("sorted") {
            sorted_lines(&got) == sorted_lines(&want)
        } else {
            got == want
        };
        if !same {
            errs.push(format!(
                "{what} differs from the ```{} block at line {}:\n--- shown\n{want}\n--- got\n{got}",
                b.lang, b.line
            ));
        }
    }
    if block.exit() == 0
        && !stderr.is_empty()
        && !block.has("stderr")
        && ![next, after].iter().flatten().any(|b| b.lang == "error")
    {
        errs.push(format!("unexpected stderr:\n{stderr}"));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(format!("── {} (```mps block)\n{}\nstdout:\n{stdout}stderr:\n{stderr}", block.at(), errs.join("\n")))
    }
}

/// The output lines after each `$ ` command of a ```console block.
fn check_console(block: &Block) -> Result<(), String> {
    let bin_dir = Path::new(common::bin()).parent().expect("bin dir").to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut commands: Vec<(String, String)> = Vec::new();
    for line in block.body.lines() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            commands.push((cmd.to_string(), String::new()));
        } else if let Some((_, want)) = commands.last_mut() {
            want.push_str(line);
            want.push('\n');
        } else {
            return Err(format!("── {}: a ```console block starts with a `$ ` command", block.at()));
        }
    }
    for (cmd, want) in commands {
        let out = Command::new("sh")
            .args(["-c", &format!("{cmd} 2>&1")])
            .current_dir(common::root())
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env("MPSCRIPT_HISTORY", "")
            .stdin(Stdio::null())
            .output()
            .expect("run sh");
        let got = normalize(&String::from_utf8_lossy(&out.stdout), "\u{0}");
        let want = want.trim_end().to_string();
        if out.status.code() != Some(block.exit()) || got != want {
            return Err(format!(
                "── {} (```console) `{cmd}`: exit {:?}, expected {}\n--- shown\n{want}\n--- got\n{got}",
                block.at(),
                out.status.code(),
                block.exit()
            ));
        }
    }
    Ok(())
}

/// A ```repl block: typed lines in, the rest is the expected output.
fn check_repl(block: &Block) -> Result<(), String> {
    let mut input = String::new();
    let mut want = String::new();
    for line in block.body.lines() {
        match line.strip_prefix(">>> ").or(line.strip_prefix("... ")).or((line == ">>>" || line == "...").then_some(""))
        {
            Some(typed) => {
                input.push_str(typed);
                input.push('\n');
            }
            None => {
                want.push_str(line);
                want.push('\n');
            }
        }
    }
    let out = common::repl_piped(&input);
    let got = normalize(
        &(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)),
        "\u{0}",
    );
    let want = want.trim_end().to_string();
    if out.status.code() != Some(block.exit()) || got != want {
        return Err(format!(
            "── {} (```repl): exit {:?}\n--- shown\n{want}\n--- got\n{got}",
            block.at(),
            out.status.code()
        ));
    }
    Ok(())
}

/// The embedding examples of the docs, compiled and run here.
const RUST_EXAMPLES: &[&str] = &[EMBED_EXAMPLE];

const EMBED_EXAMPLE: &str = r#"use mpscript::{Engine, Value};

let mut engine = Engine::new();
engine.register_fn("double", |x: i64| x * 2);
let v = engine.eval("1 + double(20)")?;
assert_eq!(v, Value::Int(41));
engine.eval("fn greet(n) { return \"hello {n}\" }")?;
assert_eq!(engine.eval("greet(\"docs\")")?, Value::str("hello docs"));
"#;

#[test]
fn embedding_example_works() -> Result<(), mpscript::Error> {
    use mpscript::{Engine, Value};

    let mut engine = Engine::new();
    engine.register_fn("double", |x: i64| x * 2);
    let v = engine.eval("1 + double(20)")?;
    assert_eq!(v, Value::Int(41));
    engine.eval("fn greet(n) { return \"hello {n}\" }")?;
    assert_eq!(engine.eval("greet(\"docs\")")?, Value::str("hello docs"));
    Ok(())
}

fn check_block(blocks: &[Block], i: usize) -> Result<(), String> {
    let b = &blocks[i];
    match b.lang.as_str() {
        "mps" => check_script(b, blocks.get(i + 1), blocks.get(i + 2)),
        "console" => check_console(b),
        "repl" => check_repl(b),
        "rust" if RUST_EXAMPLES.iter().any(|e| e.trim() == b.body.trim()) => Ok(()),
        "rust" => Err(format!("── {}: a ```rust block that is not one of tests/docs.rs's RUST_EXAMPLES", b.at())),
        "text" | "output" | "error" => Ok(()),
        other => Err(format!("── {}: unknown fence ```{other} (use mps, console, repl, rust, text)", b.at())),
    }
}

fn check_files(files: &[PathBuf]) {
    let mut failures = Vec::new();
    let mut ran = 0;
    for f in files {
        let blocks = blocks_of(f);
        for i in 0..blocks.len() {
            if blocks[i].lang != "text" {
                ran += 1;
            }
            if let Err(e) = check_block(&blocks, i) {
                failures.push(e);
            }
        }
    }
    assert!(ran > 0, "no code blocks in {files:?}");
    assert!(failures.is_empty(), "{} failing doc blocks:\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn reference_blocks_run_as_shown() {
    check_files(&[common::root().join("docs/reference.md")]);
}

#[test]
fn tutorial_blocks_run_as_shown() {
    let files: Vec<PathBuf> = doc_files().into_iter().filter(|f| f.to_string_lossy().contains("/tutorial/")).collect();
    assert!(files.len() >= 13, "the tutorial has a chapter per lesson");
    check_files(&files);
}

#[test]
fn other_docs_blocks_run_as_shown() {
    let files: Vec<PathBuf> = doc_files()
        .into_iter()
        .filter(|f| !f.to_string_lossy().contains("/tutorial/") && !f.ends_with("docs/reference.md"))
        .collect();
    if !files.is_empty() {
        check_files(&files);
    }
}

#[test]
fn exercise_solutions_run() {
    let dir = common::root().join("scripts/exercises");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scripts/exercises exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "mps"))
        .collect();
    files.sort();
    assert!(files.len() >= 13, "one solution per tutorial chapter");
    let mut failures = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(common::root()).expect("in the repo").display().to_string();
        let out = common::run_args(&["--timeout", "60", &rel], &rel);
        if out.code != Some(0) || out.stdout.is_empty() {
            failures.push(format!("── {rel}: exit {:?}\n{}{}", out.code, out.stdout, out.stderr));
        }
        // Every solution is named by its chapter.
        let stem = f.file_stem().and_then(|s| s.to_str()).expect("a name");
        let named = doc_files()
            .iter()
            .any(|d| std::fs::read_to_string(d).unwrap_or_default().contains(&format!("scripts/exercises/{stem}.mps")));
        assert!(named, "{rel} is not named by any tutorial chapter");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// No link in the docs or the README points outside the repository.
#[test]
fn no_link_leaves_the_repository() {
    let mut files = doc_files();
    files.push(common::root().join("README.md"));
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable");
        for bad in ["../shared", "LANGUAGE.md"] {
            assert!(!text.contains(bad), "{} mentions {bad}", f.display());
        }
        // Relative links must name files that exist.
        let mut rest = text.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let target = rest.split(')').next().unwrap_or("");
            let target = target.split('#').next().unwrap_or("");
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let path = f.parent().expect("a dir").join(target);
            assert!(path.exists(), "{}: link to {target} names no file", f.display());
        }
    }
}

fn mpscript(args: &[&str]) -> std::process::Output {
    Command::new(common::bin()).args(args).current_dir(common::root()).env("NO_COLOR", "1").output().expect("run")
}

/// `mpscript help TOPIC` prints the reference's entry; unknown topics get
/// close matches and exit code 2; no topic lists them all.
#[test]
fn help_command_prints_reference_entries() {
    let out = mpscript(&["help", "queue"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(text.starts_with("queue, queue.maxsize\n\n`queue q`"), "{text}");
    let out = mpscript(&["help", "pool.map"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("`p.map(f, xs, chunksize=nil)`"));
    // A bare method name shows every kind that has it.
    let text = String::from_utf8_lossy(&mpscript(&["help", "get"]).stdout).into_owned();
    assert!(text.contains("queue.get") && text.contains("result.get") && text.contains("dict.get"), "{text}");
    let out = mpscript(&["help", "prnt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean: print"), "{out:?}");
    let out = mpscript(&["help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for topic in ["spawn", "queue.task_done", "pool.apply_async", "print", "json_str", "str.split", "REPL"] {
        assert!(text.contains(topic), "{topic} missing from the topic list:\n{text}");
    }
    let usage = String::from_utf8_lossy(&mpscript(&["--help"]).stdout).into_owned();
    assert!(usage.contains("mpscript help [TOPIC]") && usage.contains("docs/reference.md"), "{usage}");
}

/// Every builtin function has its own reference entry.
#[test]
fn every_builtin_is_in_the_reference() {
    let out = mpscript(&["-e", "print(help == nil)"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "false\n");
    let names = [
        "print",
        "len",
        "str",
        "int",
        "float",
        "bool",
        "type",
        "range",
        "sleep",
        "time",
        "rand",
        "rand_int",
        "rand_float",
        "sorted",
        "sum",
        "min",
        "max",
        "abs",
        "round",
        "assert",
        "error",
        "exit",
        "args",
        "read_file",
        "write_file",
        "append_file",
        "file_exists",
        "remove_file",
        "json_parse",
        "json_str",
        "input",
        "enumerate",
        "zip",
        "ctime",
        "strftime",
        "getpid",
        "getppid",
        "cpu_count",
        "fork",
        "wait",
        "waitpid",
        "kill",
        "signal",
        "run",
        "current_process",
        "parent_process",
        "active_children",
        "help",
        "lock",
        "sem",
        "event",
        "queue",
        "pipe",
        "pool",
        "shared",
        "bytes",
        "listen",
        "connect",
        "rlock",
        "condition",
        "barrier",
    ];
    for name in names {
        let out = mpscript(&["help", name]);
        let text = String::from_utf8_lossy(&out.stdout);
        let heading = text.lines().next().unwrap_or("");
        assert!(heading.split(", ").any(|n| n == name), "`mpscript help {name}` gives {heading:?}");
    }
}

/// The keywords of `grammar/mpscript.pest`.
fn grammar_keywords() -> Vec<String> {
    let grammar = std::fs::read_to_string(common::root().join("grammar/mpscript.pest")).expect("grammar");
    let rule = grammar.split("keyword = @{").nth(1).expect("a keyword rule");
    let rule = &rule[..rule.find('}').expect("its end")];
    let mut words: Vec<String> = rule.split('"').skip(1).step_by(2).map(str::to_string).collect();
    words.sort();
    words
}

/// The editor grammars know exactly the language's keywords, and their
/// builtins are the interpreter's (each has a `help` entry).
#[test]
fn editor_grammars_match_the_language() {
    let keywords = grammar_keywords();
    assert!(keywords.len() > 20, "{keywords:?}");

    let tm = std::fs::read_to_string(common::root().join("editors/vscode/syntaxes/mpscript.tmLanguage.json"))
        .expect("the TextMate grammar");
    let tm: serde_json::Value = serde_json::from_str(&tm).expect("the TextMate grammar is valid JSON");
    let alternatives = |pattern: &str| -> Vec<String> {
        // The first group with alternatives (`(?<!…)` lookbehinds have none).
        let inner = pattern.split('(').find(|p| p.contains('|')).and_then(|p| p.split(')').next()).unwrap_or("");
        inner.split('|').map(str::to_string).collect()
    };
    let mut tm_keywords: Vec<String> = tm["repository"]["keywords"]["patterns"]
        .as_array()
        .expect("keyword patterns")
        .iter()
        .flat_map(|p| alternatives(p["match"].as_str().expect("a match")))
        .collect();
    tm_keywords.sort();
    assert_eq!(tm_keywords, keywords, "editors/vscode keywords differ from the grammar's");
    let mut tm_builtins = alternatives(tm["repository"]["builtins"]["match"].as_str().expect("builtins"));
    tm_builtins.sort();
    let package: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::root().join("editors/vscode/package.json")).expect("package.json"),
    )
    .expect("package.json is valid JSON");
    assert_eq!(package["contributes"]["grammars"][0]["scopeName"], tm["scopeName"]);

    let vim = std::fs::read_to_string(common::root().join("editors/vim/syntax/mpscript.vim")).expect("vim syntax");
    let words_of = |groups: &[&str]| -> Vec<String> {
        let mut w: Vec<String> = vim
            .lines()
            .filter_map(|l| l.strip_prefix("syn keyword "))
            .filter(|l| groups.iter().any(|g| l.starts_with(&format!("{g} "))))
            .flat_map(|l| l.split_whitespace().skip(1).map(str::to_string).collect::<Vec<_>>())
            .collect();
        w.sort();
        w
    };
    let vim_keywords = words_of(&["mpsControl", "mpsConcurrency", "mpsStorage", "mpsOperator", "mpsConstant"]);
    assert_eq!(vim_keywords, keywords, "editors/vim keywords differ from the grammar's");
    assert_eq!(words_of(&["mpsBuiltin"]), tm_builtins, "the two editors list different builtins");

    for b in &tm_builtins {
        let out = mpscript(&["-e", &format!("print(type({b}))")]);
        let printed = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(printed == "fn" || (b == "args" && printed == "list"), "`{b}` is not a builtin: {printed}");
        assert_eq!(mpscript(&["help", b]).status.code(), Some(0), "no help entry for {b}");
    }
}
