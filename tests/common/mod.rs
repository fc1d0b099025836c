//! Helpers for tests that run the real `mpscript` binary on scripts that
//! start processes: every run gets its own process group and a unique script
//! path (the marker), a generous deadline, and — after it exits — a scan of
//! /proc proving that no process of the run was left behind.

#![allow(dead_code)] // each test crate uses a different subset

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Far beyond what any test needs on a loaded 2-CPU machine; reaching it
/// means a hang, and the test fails instead of blocking the suite.
pub const DEADLINE: Duration = Duration::from_secs(90);

/// What one run printed and how it ended.
#[derive(Debug)]
pub struct Out {
    pub stdout: String,
    pub stderr: String,
    /// Exit code, or `None` if killed by a signal.
    pub code: Option<i32>,
    pub elapsed: Duration,
}

impl Out {
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// A script in a fresh temporary file. Its path is unique per test and
/// process, so it also marks every process of the run in /proc/*/cmdline.
pub struct Script {
    pub path: PathBuf,
}

impl Script {
    pub fn new(hint: &str, code: &str) -> Script {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("mpscript-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let path = dir.join(format!("{hint}-{n}.mps"));
        std::fs::write(&path, code).expect("write script");
        Script { path }
    }

    pub fn arg(&self) -> String {
        self.path.display().to_string()
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mpscript")
}

/// The repository root, where `scripts/` lives.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A running `mpscript`, in its own process group (pgid = its pid).
pub struct Running {
    child: Child,
    pub pid: i32,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    stderr: std::thread::JoinHandle<String>,
    started: Instant,
    marker: String,
}

/// Start `mpscript ARGS...`; `marker` is a string its command line contains.
pub fn start(args: &[&str], marker: &str) -> Running {
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("MPSCRIPT_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start mpscript");
    let pid = child.id() as i32;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let stdin = child.stdin.take();
    Running { child, pid, stdin, lines, seen: Vec::new(), stderr, started: Instant::now(), marker: marker.to_string() }
}

impl Running {
    /// Write to the program's standard input.
    pub fn send(&mut self, text: &str) {
        let w = self.stdin.as_mut().expect("stdin still open");
        w.write_all(text.as_bytes()).expect("write to mpscript's stdin");
        w.flush().expect("flush stdin");
    }

    /// Close standard input (a script blocked in `read_file("/dev/stdin")` goes on).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Block until a stdout line starts with `prefix`; returns it.
    pub fn wait_line(&mut self, prefix: &str) -> String {
        let end = self.started + DEADLINE;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(_) => {
                    self.kill_group();
                    panic!("no line starting with {prefix:?}; stdout so far: {:?}", self.seen);
                }
            }
        }
    }

    /// Block until a stdout line starts with `prefix`; every line read on
    /// the way, that one included.
    pub fn lines_until(&mut self, prefix: &str) -> Vec<String> {
        let from = self.seen.len();
        self.wait_line(prefix);
        self.seen[from..].to_vec()
    }

    pub fn signal_group(&self, sig: i32) {
        // SAFETY: plain kill(2) on the process group we created.
        unsafe { libc::kill(-self.pid, sig) };
    }

    fn kill_group(&mut self) {
        self.signal_group(libc::SIGKILL);
        let _ = self.child.wait();
    }

    /// Wait for the end (killing the group past the deadline), then check
    /// that no process of the run is left.
    pub fn finish(mut self) -> Out {
        self.stdin = None;
        let end = self.started + DEADLINE;
        let status = loop {
            match self.child.try_wait().expect("try_wait") {
                Some(st) => break st,
                None if Instant::now() >= end => {
                    self.kill_group();
                    panic!("mpscript {} still running after {DEADLINE:?}", self.marker);
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        let elapsed = self.started.elapsed();
        let leftovers = leftovers(self.pid, &self.marker);
        if !leftovers.is_empty() {
            // Clean up first: a leftover may hold the output pipes open.
            self.signal_group(libc::SIGKILL);
        }
        let mut stdout_lines = std::mem::take(&mut self.seen);
        stdout_lines.extend(self.lines.iter());
        let stderr = self.stderr.join().unwrap_or_default();
        assert!(leftovers.is_empty(), "processes left behind by {}: {leftovers:?}\nstderr: {stderr}", self.marker);
        let mut stdout = stdout_lines.join("\n");
        if !stdout_lines.is_empty() {
            stdout.push('\n');
        }
        Out { stdout, stderr, code: status.code(), elapsed }
    }
}

/// Run `mpscript ARGS...` to its end; `marker` is part of its command line.
pub fn run_args(args: &[&str], marker: &str) -> Out {
    start(args, marker).finish()
}

/// Run `code` as a script file with options before it.
pub fn run_with(opts: &[&str], hint: &str, code: &str) -> Out {
    let s = Script::new(hint, code);
    let arg = s.arg();
    let mut args: Vec<&str> = opts.to_vec();
    args.push(&arg);
    run_args(&args, &arg)
}

pub fn run(hint: &str, code: &str) -> Out {
    run_with(&[], hint, code)
}

/// One process as /proc/<pid>/stat shows it.
#[derive(Debug)]
pub struct Proc {
    pub pid: i32,
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    pub cmdline: String,
}

pub fn processes() -> Vec<Proc> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return out };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        let Some(close) = stat.rfind(')') else { continue };
        let f: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        if f.len() < 3 {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        out.push(Proc {
            pid,
            state: f[0].chars().next().unwrap_or('?'),
            ppid: f[1].parse().unwrap_or(0),
            pgrp: f[2].parse().unwrap_or(0),
            cmdline,
        });
    }
    out
}

/// Processes still around from a run: in its process group, or carrying
/// its marker on their command line (run by this build's binary: another
/// checkout's test run of the same script is not ours).
pub fn leftovers(pgid: i32, marker: &str) -> Vec<String> {
    processes()
        .into_iter()
        .filter(|p| p.pgrp == pgid || (p.cmdline.contains(marker) && p.cmdline.starts_with(bin())))
        .map(|p| format!("pid {} state {} ppid {} `{}`", p.pid, p.state, p.ppid, p.cmdline.trim()))
        .collect()
}

/// Zombie children of `pid` right now.
pub fn zombies_of(pid: i32) -> Vec<i32> {
    processes().into_iter().filter(|p| p.ppid == pid && p.state == 'Z').map(|p| p.pid).collect()
}

/// Live (non-zombie) children of `pid` right now, but the guardian (the
/// process that ends the program if the main one is killed).
pub fn children_of(pid: i32) -> Vec<i32> {
    processes().into_iter().filter(|p| p.ppid == pid && p.state != 'Z' && !is_guardian(p.pid)).map(|p| p.pid).collect()
}

/// Whether `pid` is a main process's guardian (`mpscript-guard` in ps).
pub fn is_guardian(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "mpscript-guard")
}

/// What a plain run printed and its exit code (-1 if killed by a signal).
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Run `mpscript --timeout SECS ARGS...` from the project root and collect
/// its output: a hang ends in a failed test, not a stuck suite.
pub fn mps_timed(secs: &str, args: &[&str]) -> Run {
    let out = Command::new(bin())
        .args(["--timeout", secs])
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run mpscript");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Statements typed into the REPL through a pipe (no history file), to the end.
pub fn repl_piped(input: &str) -> std::process::Output {
    let mut child = Command::new(bin())
        .env("MPSCRIPT_HISTORY", "")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mpscript");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait for mpscript")
}

/// Run `code`, which prints `waiting` just before it blocks, and press
/// Ctrl-C once it waits (the whole process group, as a terminal does).
/// Gives how the run ended and how long it took after the signal.
pub fn interrupt_waiting(hint: &str, code: &str) -> (Out, Duration) {
    let script = Script::new(hint, code);
    let arg = script.arg();
    let mut running = start(&["--timeout", "30", &arg], &arg);
    running.wait_line("waiting");
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    running.signal_group(libc::SIGINT);
    let out = running.finish();
    (out, t0.elapsed())
}

/// Run `mpscript -e src` (with `mps_timed`'s limit), which must succeed;
/// its stdout.
pub fn ok_timed(secs: &str, src: &str) -> String {
    let r = mps_timed(secs, &["-e", src]);
    assert_eq!(r.code, 0, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    r.stdout
}

/// The number after `key` in `text` (e.g. "sold: 10").
pub fn number_after(text: &str, key: &str) -> i64 {
    let rest = &text[text.find(key).unwrap_or_else(|| panic!("no {key:?} in {text}")) + key.len()..];
    let digits: String = rest.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse().unwrap_or_else(|_| panic!("no number after {key:?} in {text}"))
}
