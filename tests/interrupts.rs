//! Ending always works: Ctrl-C (SIGINT to the whole process group, as a
//! terminal sends it), SIGTERM to the main process, `--timeout` and kill -9
//! end the whole tree, whatever the main process waits on, and leave no
//! process behind. Real signals to real process groups; each case runs
//! `REPS` times, the runs of a case at once on threads, and every run must
//! end the same way. Runs synchronise on a printed "ready" line, never on
//! a sleep.

mod common;

use common::{processes, start, Out, Running, Script};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How many times each case runs.
const REPS: usize = 20;

/// Run `f(i)` for every `i < n`, `at_once` at a time, each on its own
/// thread; the first failure fails the test.
fn repeat(n: usize, at_once: usize, f: impl Fn(usize) + Sync) {
    for batch in (0..n).collect::<Vec<_>>().chunks(at_once) {
        std::thread::scope(|s| {
            let f = &f;
            let runs: Vec<_> = batch.iter().map(|&i| (i, s.spawn(move || f(i)))).collect();
            for (i, run) in runs {
                if let Err(panic) = run.join() {
                    eprintln!("run {i} failed");
                    std::panic::resume_unwind(panic);
                }
            }
        });
    }
}

/// A `sleep` duration no other run uses, so its command line marks the
/// commands one run started (`run()` puts them in their own process group).
fn token() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("60.{}{:05}", std::process::id() % 100_000, N.fetch_add(1, Ordering::Relaxed))
}

/// Live processes whose command line contains `needle`.
fn alive_with(needle: &str) -> Vec<String> {
    processes()
        .into_iter()
        .filter(|p| p.state != 'Z' && p.cmdline.contains(needle))
        .map(|p| format!("pid {} `{}`", p.pid, p.cmdline.trim()))
        .collect()
}

/// Start `code` (with `{T}` replaced by a fresh token) and wait for its
/// "ready" line.
fn start_ready(opts: &[&str], hint: &str, code: &str) -> (Running, Script, String) {
    let token = token();
    let script = Script::new(hint, &code.replace("{T}", &token));
    let arg = script.arg();
    let mut args: Vec<&str> = opts.to_vec();
    args.push(&arg);
    let mut running = start(&args, &arg);
    running.wait_line("ready");
    (running, script, token)
}

/// The end of a run: no process of it is left (its group, its marker, and
/// the commands it ran).
fn finish(running: Running, token: &str) -> Out {
    let out = running.finish();
    let left = alive_with(&format!("sleep {token}"));
    assert!(left.is_empty(), "commands left behind: {left:?}\nstderr: {}", out.stderr);
    out
}

/// Each script prints "ready" just before (or, for a child, while) the main
/// process waits; every wait also has a child or a command to end.
const WAITS: &[(&str, &str)] = &[
    ("join", "let p = spawn { sleep(60) }\nprint(\"ready\")\np.join()\nprint(\"after\")\n"),
    ("join_timed", "let p = spawn { sleep(60) }\nprint(\"ready\")\np.join(60)\nprint(\"after\")\n"),
    ("run", "let p = spawn { sleep(60) }\nprint(\"ready\")\nrun(\"sleep {T}; echo done\")\nprint(\"after\")\n"),
    ("run_in_child", "let p = spawn { run(\"sleep {T}; echo done\") }\nprint(\"ready\")\np.join()\nprint(\"after\")\n"),
    ("get", "queue q\nlet p = spawn { sleep(60) }\nprint(\"ready\")\nq.get()\nprint(\"after\")\n"),
    (
        "lock",
        "lock l\nevent e\nlet p = spawn { l.acquire()\n e.set()\n sleep(60) }\ne.wait()\nprint(\"ready\")\nl.acquire()\nprint(\"after\")\n",
    ),
    ("sleep", "let p = spawn { sleep(60) }\nprint(\"ready\")\nsleep(60)\nprint(\"after\")\n"),
    ("recv", "pipe a, b\nlet p = spawn { sleep(60) }\nprint(\"ready\")\nb.recv()\nprint(\"after\")\n"),
    // `wait()` for any child: a signal just before it blocks still ends it.
    ("wait_any", "let p = spawn { sleep(60) }\nprint(\"ready\")\nwait()\nprint(\"after\")\n"),
    // Neither Ctrl-C nor SIGTERM is an error a `catch` can stop.
    (
        "catch",
        "let p = spawn { sleep(60) }\nprint(\"ready\")\ntry { sleep(60) } catch e { print(\"after\", e.kind) }\nprint(\"after\")\n",
    ),
];

/// Send `sig` (to the group, or to the main process only) during each wait.
fn end_every_wait(sig: i32, group: bool, expected: i32) {
    for (hint, code) in WAITS {
        repeat(REPS, REPS, |_| {
            let (running, _script, token) = start_ready(&["--timeout", "60"], hint, code);
            match group {
                true => running.signal_group(sig),
                // SAFETY: plain kill(2) of the main process only.
                false => unsafe {
                    libc::kill(running.pid, sig);
                },
            }
            let out = finish(running, &token);
            assert_eq!(out.code, Some(expected), "{hint}: stdout {:?}\nstderr: {}", out.stdout, out.stderr);
            assert!(!out.stdout.contains("after"), "{hint}: went on after the signal: {}", out.stdout);
        });
    }
}

#[test]
fn ctrl_c_ends_every_wait_with_130() {
    end_every_wait(libc::SIGINT, true, 130);
}

#[test]
fn sigterm_to_the_main_process_ends_every_wait_with_143() {
    end_every_wait(libc::SIGTERM, false, 143);
}

/// Each terminating signal gives 128 + its number, as a shell reports a
/// process it killed: SIGHUP 129, SIGINT 130, SIGTERM 143.
#[test]
fn each_signal_to_the_main_process_gives_128_plus_its_number() {
    for (sig, expected) in [(libc::SIGHUP, 129), (libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        repeat(4, 4, |_| {
            let code = "let p = spawn { sleep(60) }\nprint(\"ready\")\nwait()\nprint(\"after\")\n";
            let (running, _script, token) = start_ready(&["--timeout", "60"], "by_signal", code);
            // SAFETY: plain kill(2) of the main process only.
            unsafe { libc::kill(running.pid, sig) };
            let out = finish(running, &token);
            assert_eq!(out.code, Some(expected), "signal {sig}: stderr: {}", out.stderr);
            assert!(!out.stdout.contains("after"), "went on after signal {sig}: {}", out.stdout);
        });
    }
}

#[test]
fn sigint_to_the_main_process_alone_ends_every_child() {
    repeat(REPS, REPS, |_| {
        let code = "let s = spawn { sleep(30) }\nlet f = fork()\nif f == 0 { sleep(30)\n exit(0) }\nprint(\"ready\")\nsleep(30)\n";
        let (running, _script, token) = start_ready(&[], "end_main", code);
        // SAFETY: plain kill(2) of the main process only.
        unsafe { libc::kill(running.pid, libc::SIGINT) };
        let out = finish(running, &token);
        assert_eq!(out.code, Some(130), "{}", out.stderr);
    });
}

/// A child that handles SIGTERM and SIGINT (and so ignores them) is killed
/// after the grace period, and stderr names it.
#[test]
fn ctrl_c_ends_a_child_that_ignores_sigterm() {
    let code = "let c = spawn {\n signal(\"SIGTERM\", fn(n) { print(\"ignored\", n) })\n signal(\"SIGINT\", fn(n) { print(\"ignored\", n) })\n print(\"ready\")\n while true { sleep(0.05) }\n}\nc.join()\n";
    repeat(REPS, REPS, |_| {
        let (running, _script, token) = start_ready(&["--timeout", "60"], "stubborn_child", code);
        running.signal_group(libc::SIGINT);
        let out = finish(running, &token);
        assert_eq!(out.code, Some(130), "{}", out.stderr);
        assert!(out.stderr.contains("Process-1") && out.stderr.contains("SIGKILL"), "{}", out.stderr);
    });
}

#[test]
fn a_daemon_that_ignores_sigterm_is_killed_when_the_main_code_ends() {
    // The main code ends once the daemon's handler is in place.
    let script = "event e\nlet d = spawn daemon {\n signal(\"SIGTERM\", fn(n) { print(\"ignored\", n) })\n e.set()\n while true { sleep(0.05) }\n}\ne.wait()\nprint(\"ready\")\nprint(\"main ends\")\n";
    repeat(REPS, REPS, |_| {
        let (running, _script, token) = start_ready(&["--timeout", "60"], "stubborn_daemon", script);
        let out = finish(running, &token);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert!(out.stdout.contains("main ends"), "{}", out.stdout);
        assert!(out.stderr.contains("Process-1") && out.stderr.contains("did not end within"), "{}", out.stderr);
    });
}

/// `--timeout` ends a tree with `run()` commands (in the main process and
/// in a child) even when the script handles SIGALRM, within a second of the
/// limit (a promise, so the bound is generous).
#[test]
fn timeout_ends_commands_and_ignores_a_sigalrm_handler() {
    let code = "signal(\"SIGALRM\", fn(n) { print(\"alarm\") })\nlet c = spawn { run(\"sleep {T}; echo x\") }\nprint(\"ready\")\nrun(\"sleep {T}; echo y\")\nprint(\"after\")\n";
    repeat(REPS, REPS, |_| {
        let (running, _script, token) = start_ready(&["--timeout", "1"], "timeout_run", code);
        let out = finish(running, &token);
        assert_eq!(out.code, Some(124), "{}", out.stderr);
        assert!(out.stderr.contains("--timeout reached"), "{}", out.stderr);
        assert!(out.elapsed < Duration::from_secs(2), "ended after {:?}", out.elapsed);
        assert!(!out.stdout.contains("after"), "{}", out.stdout);
    });
}

#[test]
fn a_tiny_timeout_fires() {
    let out = common::run_with(&["--timeout", "0.0000001"], "tiny_timeout", "sleep(30)\n");
    assert_eq!(out.code, Some(124), "{}", out.stderr);
}

/// The timer of `--timeout` belongs to the main process: SIGALRM sent to a
/// child kills only that child, as SIGALRM does.
#[test]
fn sigalrm_to_a_child_is_not_the_timeout() {
    let out = common::run_with(
        &["--timeout", "30"],
        "child_alarm",
        "let c = spawn { sleep(30) }\nkill(c.pid, \"SIGALRM\")\nc.join()\nprint(\"child\", c.exitcode)\n",
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "child -14\n");
    assert!(!out.stderr.contains("--timeout"), "{}", out.stderr);
}

/// kill -9 of the main process: no process of the program is alive a
/// second later — spawned, daemon, grandchild, `fork()` children, pool
/// workers and `run()` commands (with what they started). Zombies do not
/// count: they are dead, waiting for pid 1 to reap them.
#[test]
fn kill_9_of_main_leaves_no_process() {
    let code = "let s = spawn { sleep(60) }\nlet d = spawn daemon { sleep(60) }\nlet g = spawn { let gg = spawn { sleep(60) }\n gg.join() }\nlet f = fork()\nif f == 0 { sleep(60)\n exit(0) }\nlet p = pool(2)\nlet c = spawn { run(\"sleep {T}; echo x\") }\nlet c2 = spawn { run(\"sh -c 'sleep {T}; echo y'\") }\nprint(\"ready\")\nrun(\"sleep {T}; echo z\")\n";
    repeat(REPS, 5, |_| {
        let token = token();
        let script = Script::new("kill9", &code.replace("{T}", &token));
        let marker = script.arg();
        let mut main = Command::new(common::bin())
            .args(["--timeout", "60", &marker])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start mpscript");
        let mut out = BufReader::new(main.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("read");
        assert_eq!(line, "ready\n");
        // Wait until the three commands run (the last starts after "ready").
        let commands = format!("sleep {token}");
        while alive_with(&commands).len() < 3 {
            assert!(main.try_wait().expect("try_wait").is_none(), "mpscript ended early");
            std::thread::sleep(Duration::from_millis(5));
        }
        main.kill().expect("kill -9");
        let killed = Instant::now();
        let left = loop {
            let mut left = alive_with(&marker);
            left.extend(alive_with(&commands));
            left.retain(|p| !p.starts_with(&format!("pid {} ", main.id())));
            if left.is_empty() || killed.elapsed() > Duration::from_secs(1) {
                break left;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let _ = main.wait();
        assert!(left.is_empty(), "alive 1 s after kill -9 of main: {left:?}");
    });
}

/// Run `code`, read `lines` lines of its output, then close the pipe as
/// `| head` does; how it ended, and its stderr.
fn into_head(hint: &str, code: &str, lines: usize) -> (std::process::ExitStatus, String) {
    let script = Script::new(hint, code);
    let arg = script.arg();
    let mut child = Command::new(common::bin())
        .args(["--timeout", "60", &arg])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start mpscript");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    for _ in 0..lines {
        let mut line = String::new();
        out.read_line(&mut line).expect("a line");
    }
    drop(out);
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    let status = child.wait().expect("wait");
    let left = common::leftovers(child.id() as i32, &arg);
    assert!(left.is_empty(), "left behind: {left:?}");
    (status, stderr)
}

/// A broken stdout pipe ends a process as it ends `cat`: by SIGPIPE
/// (status 141 in a shell), in the main process and in a child (-13).
#[test]
fn a_broken_stdout_pipe_ends_like_cat() {
    repeat(REPS, REPS, |_| {
        let (status, stderr) = into_head("head_main", "let i = 0\nwhile true { print(i)\n i += 1 }\n", 3);
        assert_eq!(status.signal(), Some(libc::SIGPIPE), "{status:?} {stderr}");
        let child = "let c = spawn { let i = 0\n while true { print(i)\n i += 1 } }\nc.join()\nassert(c.exitcode == -13, \"exitcode \" + str(c.exitcode))\n";
        let (status, stderr) = into_head("head_child", child, 3);
        assert_eq!(status.code(), Some(0), "{stderr}");
    });
}
