//! A seeded mutation fuzzer through the real binary (stable Rust, no extra
//! tools). Inputs are the scripts of `scripts/` and `tests/`, mutated at the
//! byte, token and line level, plus generated programs that call builtins
//! and methods with wrong types and extreme values. Each input runs through
//! `mpscript check` and through `mpscript --timeout` with resource limits,
//! and a run fails the test when it:
//! - ends by a crash signal (abort, segfault…), exits 101, or prints
//!   "panicked" / "fatal runtime error" on stderr (any process of the run);
//! - runs well past its `--timeout` (a hang), or leaves a process behind.
//!
//! `cargo test --release --test fuzz` runs every input of
//! `tests/fuzz_corpus/` (each crash found so far) and a short seeded pass.
//! A longer pass, e.g. 100,000 inputs from seed 7:
//! `MPSCRIPT_FUZZ_RUNS=100000 MPSCRIPT_FUZZ_SEED=7 cargo test --release --test fuzz -- --nocapture`;
//! what it finds is written to `target/fuzz-finds/` (add each to the corpus
//! once fixed). `MPSCRIPT_FUZZ_JOBS=N` runs N inputs at a time.
//!
//! Run as root, every input runs as user `nobody` (it cannot signal or
//! delete anything of ours); otherwise inputs that call `kill` or `run`
//! are skipped, since a mutation could aim them anywhere.

mod common;

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `--timeout` of each run; past it plus `GRACE` a run counts as a hang.
const RUN_TIMEOUT: &str = "3";
const GRACE: Duration = Duration::from_secs(12);
/// `check` has no `--timeout`: it must end within this.
const CHECK_LIMIT: Duration = Duration::from_secs(10);

/// splitmix64: small, seedable, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Values that break careless code: extremes, wrong kinds, huge sizes.
const EXTREMES: &[&str] = &[
    "9223372036854775807",
    "-9223372036854775808",
    "-9223372036854775807 - 1",
    "4294967296",
    "1e300",
    "-1e300",
    "1e19",
    "float(\"nan\")",
    "float(\"inf\")",
    "-1",
    "0",
    "-0.5",
    "nil",
    "true",
    "\"\"",
    "\"x\" * 100000",
    "\"é\"",
    "[]",
    "{}",
    "[[[[[[[[1]]]]]]]]",
    "fn() { }",
    "q",
    "l",
    "e",
    "s",
    "d",
    "pp[0]",
    "p",
    "\"SIGTERM\"",
    "2",
];

const METHODS: &[&str] = &[
    "put",
    "get",
    "put_nowait",
    "get_nowait",
    "join",
    "task_done",
    "qsize",
    "empty",
    "full",
    "close",
    "acquire",
    "release",
    "locked",
    "set",
    "clear",
    "wait",
    "is_set",
    "send",
    "recv",
    "poll",
    "is_alive",
    "terminate",
    "kill",
    "snapshot",
    "append",
    "pop",
    "insert",
    "remove",
    "extend",
    "index",
    "count",
    "keys",
    "values",
    "items",
    "split",
    "strip",
    "replace",
    "format",
    "upper",
    "startswith",
    "find",
    "map",
    "apply_async",
    "starmap",
    "ljust",
    "center",
    "zfill",
    "sort",
    "copy",
    "update",
];

/// The builtin names, read from the sources (so new ones are fuzzed too).
fn builtin_names() -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(common::root().join("src/builtins")).expect("src/builtins").flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines() {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix("(\"") {
                if let Some(end) = rest.find("\", ") {
                    names.push(rest[..end].to_string());
                }
            }
        }
    }
    // Not these: they would reach outside the run (see the module comment).
    names.retain(|n| !matches!(n.as_str(), "kill" | "run" | "signal" | "remove_file" | "write_file" | "append_file"));
    names.sort();
    names.dedup();
    names
}

/// The seed scripts: every `.mps` of scripts/ and tests/ (corpus included).
fn seed_scripts() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let mut dirs = vec![common::root().join("scripts"), common::root().join("tests")];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "mps") {
                files.push(p);
            }
        }
    }
    files.sort();
    files.iter().map(|p| std::fs::read(p).expect("readable seed")).collect()
}

/// Rough tokens: words, numbers, strings, single punctuation, spaces.
fn tokens(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        let start = i;
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' {
            while i < text.len() && (text[i].is_ascii_alphanumeric() || text[i] == b'_' || text[i] == b'.') {
                i += 1;
            }
        } else if c == b'"' {
            i += 1;
            while i < text.len() && text[i] != b'"' && text[i] != b'\n' {
                i += 1;
            }
            i = (i + 1).min(text.len());
        } else {
            i += 1;
        }
        out.push(&text[start..i]);
    }
    out
}

const PIECES: &[&[u8]] = &[
    b"(",
    b")",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"\n",
    b"\\",
    b"{x}",
    b"\xc3\xa9",
    b"\r",
    b"\t",
    b"\0",
    b"\xff",
    b"#",
    b"..",
    b"=",
    b"**",
    b"//",
    b"%",
    b"\"{",
    b"'",
    b"spawn ",
    b"fn ",
    b"let ",
    b"-",
    b"\xe4\xb8\xad",
];

/// One mutation of `s` (`other` is another seed to borrow from).
fn mutate_once(rng: &mut Rng, s: &mut Vec<u8>, other: &[u8]) {
    let at = rng.below(s.len() + 1);
    match rng.below(11) {
        0 => {
            let n = 1 + rng.below(4);
            s.drain(at..(at + n).min(s.len()));
        }
        1 => {
            let piece = rng.pick(PIECES).to_vec();
            s.splice(at..at, piece);
        }
        2 => {
            let n = 1 + rng.below(24);
            let piece = s[at..(at + n).min(s.len())].to_vec();
            s.splice(at..at, piece);
        }
        3 | 4 => {
            // Token level: replace, delete or duplicate a token; or put an
            // extreme value (or a token of another script) in its place.
            let toks = tokens(s);
            if toks.is_empty() {
                return;
            }
            let i = rng.below(toks.len());
            let new: Vec<u8> = match rng.below(4) {
                0 => Vec::new(),
                1 => [toks[i], toks[i]].concat(),
                2 => rng.pick(EXTREMES).as_bytes().to_vec(),
                _ => {
                    let ot = tokens(other);
                    if ot.is_empty() {
                        Vec::new()
                    } else {
                        rng.pick(&ot).to_vec()
                    }
                }
            };
            let mut out = Vec::with_capacity(s.len() + new.len());
            for (j, t) in toks.iter().enumerate() {
                if j == i {
                    out.extend_from_slice(&new);
                } else {
                    out.extend_from_slice(t);
                }
            }
            *s = out;
        }
        5..=7 => {
            // Line level: delete, duplicate, swap, or take one from another script.
            let mut lines: Vec<Vec<u8>> = s.split(|b| *b == b'\n').map(|l| l.to_vec()).collect();
            let i = rng.below(lines.len());
            match rng.below(4) {
                0 => {
                    lines.remove(i);
                }
                1 => {
                    let l = lines[i].clone();
                    lines.insert(i, l);
                }
                2 => {
                    let j = rng.below(lines.len());
                    lines.swap(i, j);
                }
                _ => {
                    let ol: Vec<&[u8]> = other.split(|b| *b == b'\n').collect();
                    lines.insert(i, rng.pick(&ol).to_vec());
                }
            }
            *s = lines.join(&b'\n');
        }
        8 => {
            // Bracket level: drop one bracket.
            let brackets: Vec<usize> =
                s.iter().enumerate().filter(|(_, c)| b"()[]{}".contains(c)).map(|(i, _)| i).collect();
            if !brackets.is_empty() {
                s.remove(*rng.pick(&brackets));
            }
        }
        9 => {
            // Nesting: wrap a stretch in many brackets.
            let n = 1 + rng.below(60);
            let (open, close) = *rng.pick(&[("(", ")"), ("[", "]"), ("{", "}")]);
            let end = (at + rng.below(16)).min(s.len());
            let inner = s[at..end].to_vec();
            let wrapped = [open.repeat(n).into_bytes(), inner, close.repeat(n).into_bytes()].concat();
            s.splice(at..end, wrapped);
        }
        _ => {
            if !s.is_empty() {
                let i = rng.below(s.len());
                s[i] ^= 1 << rng.below(8);
            }
        }
    }
}

/// A program that calls builtins and methods with odd arguments, each call
/// in its own `try` so one error does not hide the next.
fn api_program(rng: &mut Rng, builtins: &[String]) -> Vec<u8> {
    let mut p = String::from(
        "lock l\nsem s = 1\nevent e\nqueue q\nshared d = {}\nlet pp = pipe()\nlet p = spawn { }\n\
         let xs = [1, 2, 3]\nlet st = \"text\"\n",
    );
    for _ in 0..1 + rng.below(6) {
        let args: Vec<&str> = (0..rng.below(4)).map(|_| *rng.pick(EXTREMES)).collect();
        let mut args = args.join(", ");
        if rng.below(4) == 0 {
            let kw = rng.pick(&["timeout", "block", "base", "indent", "key", "sep", "end", "reverse"]);
            let sep = if args.is_empty() { "" } else { ", " };
            args = format!("{args}{sep}{kw}={}", rng.pick(EXTREMES));
        }
        let call = if rng.below(2) == 0 {
            format!("{}({args})", rng.pick(builtins))
        } else {
            let recv =
                rng.pick(&["q", "l", "s", "e", "d", "pp[0]", "pp[1]", "p", "xs", "st", "{\"a\": 1}", "1", "nil"]);
            format!("{recv}.{}({args})", rng.pick(METHODS))
        };
        p.push_str(&format!("try {{ print({call}) }} catch err {{ print(err.kind) }}\n"));
    }
    p.into_bytes()
}

/// Input number `n` of the pass seeded `seed`: always the same bytes.
fn input(seed: u64, n: u64, seeds: &[Vec<u8>], builtins: &[String]) -> Vec<u8> {
    let mut rng = Rng(seed.wrapping_mul(0x1000_0000_01B3) ^ n.wrapping_mul(0x9E37_79B9));
    rng.next();
    if rng.below(5) == 0 {
        return api_program(&mut rng, builtins);
    }
    let mut s = rng.pick(seeds).clone();
    let other = rng.pick(seeds).clone();
    for _ in 0..1 + rng.below(4) {
        mutate_once(&mut rng, &mut s, &other);
    }
    s
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Where runs happen: a directory every user may write (inputs run as
/// `nobody` when we are root), so files a script writes land there.
fn work_dir() -> PathBuf {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mpscript-fuzz-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("fuzz dir");
    let _ = std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o1777));
    dir
}

/// What went wrong with one run, if anything.
fn run_one(dir: &Path, name: &str, code: &[u8], check: bool) -> Option<String> {
    let path = dir.join(format!("{name}.mps"));
    std::fs::write(&path, code).expect("write input");
    let arg = path.display().to_string();
    let err_path = dir.join(format!("{name}.err"));
    let err_file = std::fs::File::create(&err_path).expect("stderr file");
    // MPSCRIPT_FUZZ_BIN: fuzz another build (e.g. an older one, to see
    // that the corpus catches what it should).
    let bin = std::env::var("MPSCRIPT_FUZZ_BIN").unwrap_or_else(|_| common::bin().to_string());
    let mut cmd = Command::new(bin);
    if check {
        cmd.args(["check", &arg]);
    } else {
        cmd.args(["--timeout", RUN_TIMEOUT, "--max-procs", "24", &arg]);
    }
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("MPSCRIPT_HISTORY", "")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err_file)
        .process_group(0);
    let root = is_root();
    // SAFETY: only async-signal-safe calls (setrlimit, setgid, setuid)
    // between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let limit = |res, n: u64| {
                let l = libc::rlimit { rlim_cur: n, rlim_max: n };
                libc::setrlimit(res, &l);
            };
            limit(libc::RLIMIT_AS, 6 << 30);
            limit(libc::RLIMIT_CORE, 0);
            limit(libc::RLIMIT_CPU, 40);
            if root {
                limit(libc::RLIMIT_NPROC, 512);
                if libc::setgid(65534) != 0 || libc::setuid(65534) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start mpscript");
    let pid = child.id() as i32;
    let limit = if check { CHECK_LIMIT } else { Duration::from_secs_f64(RUN_TIMEOUT.parse::<f64>().unwrap()) + GRACE };
    let mut hung = false;
    let status = loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            break st;
        }
        if started.elapsed() > limit {
            hung = true;
            // SAFETY: kill(2) on the process group we created.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    // Processes of the run must be gone (allow a moment for the last exits).
    let mut left = common::leftovers(pid, &arg);
    let until = Instant::now() + Duration::from_secs(3);
    while !left.is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
        left = common::leftovers(pid, &arg);
    }
    if !left.is_empty() {
        for p in common::processes().into_iter().filter(|p| p.pgrp == pid || p.cmdline.contains(&arg)) {
            // SAFETY: kill(2) of a leftover of this run.
            unsafe { libc::kill(p.pid, libc::SIGKILL) };
        }
    }
    let stderr = String::from_utf8_lossy(&std::fs::read(&err_path).unwrap_or_default()).into_owned();
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&err_path);
    let mode = if check { "check" } else { "run" };
    let tail: String = stderr.chars().rev().take(600).collect::<Vec<_>>().into_iter().rev().collect();
    let crash_signal = status.signal().filter(|s| {
        [libc::SIGABRT, libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE, libc::SIGTRAP].contains(s)
    });
    if hung {
        Some(format!("{mode}: hang (still running after {limit:?})"))
    } else if let Some(sig) = crash_signal {
        Some(format!("{mode}: killed by signal {sig}\n{tail}"))
    } else if status.code() == Some(101) || stderr.contains("panicked") || stderr.contains("fatal runtime error") {
        Some(format!("{mode}: panic (exit {:?})\n{tail}", status.code()))
    } else if !left.is_empty() {
        Some(format!("{mode}: processes left behind: {left:?}"))
    } else {
        None
    }
}

/// Whether an input may run here (see the module comment).
fn allowed(code: &[u8]) -> bool {
    if is_root() {
        return true;
    }
    let text = String::from_utf8_lossy(code);
    !["kill", "run(", "signal", "remove_file", "write_file", "append_file", "fork"].iter().any(|w| text.contains(w))
}

/// Run `inputs` (name, bytes) through check and run on `jobs` threads;
/// the failures, each with its input.
fn run_all(inputs: Vec<(String, Vec<u8>)>, jobs: usize, progress: bool) -> Vec<(String, Vec<u8>, String)> {
    let dir = work_dir();
    let total = inputs.len();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((name, code)) = inputs.get(i) else { break };
                if allowed(code) {
                    for check in [true, false] {
                        if let Some(what) = run_one(&dir, name, code, check) {
                            failures.lock().unwrap().push((name.clone(), code.clone(), what));
                            break;
                        }
                    }
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if progress && n.is_multiple_of(500) {
                    let found = failures.lock().unwrap().len();
                    eprintln!("fuzz: {n}/{total} inputs, {found} failing, {:.0} s", started.elapsed().as_secs_f64());
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
    failures.into_inner().unwrap()
}

fn report(failures: &[(String, Vec<u8>, String)]) -> String {
    let mut out = String::new();
    for (name, code, what) in failures {
        out.push_str(&format!("--- {name}: {what}\n{}\n", String::from_utf8_lossy(code)));
    }
    out
}

#[test]
fn corpus_runs_clean() {
    let dir = common::root().join("tests/fuzz_corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fuzz_corpus exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "mps"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the regression corpus is missing");
    let inputs = files
        .iter()
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read(p).expect("readable")))
        .collect();
    let failures = run_all(inputs, 2, false);
    assert!(failures.is_empty(), "{} corpus inputs fail:\n{}", failures.len(), report(&failures));
}

#[test]
fn seeded_pass_runs_clean() {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let runs = env("MPSCRIPT_FUZZ_RUNS").unwrap_or(120);
    let seed = env("MPSCRIPT_FUZZ_SEED").unwrap_or(1);
    let first = env("MPSCRIPT_FUZZ_FIRST").unwrap_or(0);
    let jobs = env("MPSCRIPT_FUZZ_JOBS").unwrap_or(2) as usize;
    let seeds = seed_scripts();
    let builtins = builtin_names();
    assert!(seeds.len() >= 20 && builtins.len() >= 20, "seeds or builtins missing");
    let inputs =
        (first..first + runs).map(|n| (format!("s{seed}-{n}"), input(seed, n, &seeds, &builtins))).collect::<Vec<_>>();
    let failures = run_all(inputs, jobs, runs > 1000);
    if !failures.is_empty() {
        let out = common::root().join("target/fuzz-finds");
        let _ = std::fs::create_dir_all(&out);
        for (name, code, what) in &failures {
            let _ = std::fs::write(out.join(format!("{name}.mps")), code);
            let _ = std::fs::write(out.join(format!("{name}.txt")), what);
        }
    }
    eprintln!("fuzz: seed {seed}, inputs {first}..{}: {} failing", first + runs, failures.len());
    assert!(failures.is_empty(), "{} of {runs} inputs fail:\n{}", failures.len(), report(&failures));
}
