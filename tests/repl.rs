//! The REPL driven through a pipe: each test feeds lines
//! to the real binary's standard input and checks what comes out.

mod common;

use std::io::Write;
use std::process::Command;

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

// ---- the terminal path, through a real pseudo-terminal ------------------------

/// The REPL on the slave side of a pseudo-terminal (its controlling
/// terminal, so Ctrl-C is a real SIGINT); everything it writes is collected.
struct Pty {
    master: std::fs::File,
    child: std::process::Child,
    output: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    reader: std::thread::JoinHandle<()>,
}

impl Pty {
    fn start(history: &std::path::Path) -> Pty {
        Pty::launch(history, false)
    }

    /// With `colour`, NO_COLOR is not set (the line is highlighted).
    fn launch(history: &std::path::Path, colour: bool) -> Pty {
        use std::os::fd::FromRawFd;
        use std::os::unix::process::CommandExt;
        let (mut master, mut slave) = (0, 0);
        // SAFETY: openpty fills two fds; no name, termios or size given.
        let r =
            unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
        assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: fresh fds owned from here on.
        let (master, slave) = unsafe { (std::fs::File::from_raw_fd(master), std::fs::File::from_raw_fd(slave)) };
        let mut cmd = Command::new(common::bin());
        if colour {
            cmd.env_remove("NO_COLOR");
        } else {
            cmd.env("NO_COLOR", "1");
        }
        cmd.env("MPSCRIPT_HISTORY", history)
            .env("TERM", "xterm")
            .stdin(slave.try_clone().expect("dup"))
            .stdout(slave.try_clone().expect("dup"))
            .stderr(slave);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start mpscript on a pty");
        drop(cmd); // closes the parent's copies of the slave side
        let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (mut reader, sink) = (master.try_clone().expect("dup master"), output.clone());
        let reader = std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 4096];
            // EIO once the slave side is closed by every process.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty { master, child, output, reader }
    }

    fn type_keys(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).expect("write to the pty");
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Wait until the output holds `what` `times` times; the output then.
    fn wait_for(&self, what: &str, times: usize) -> String {
        let end = std::time::Instant::now() + common::DEADLINE;
        loop {
            let text = self.text();
            if text.matches(what).count() >= times {
                return text;
            }
            assert!(std::time::Instant::now() < end, "no {what:?} (x{times}) in: {text:?}");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Wait for the REPL to end; its exit code and everything it wrote.
    fn finish(mut self) -> (Option<i32>, String) {
        let end = std::time::Instant::now() + common::DEADLINE;
        let status = loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                break st;
            }
            if std::time::Instant::now() >= end {
                let _ = self.child.kill();
                panic!("the REPL did not end: {:?}", self.text());
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        // Everything written before the end: the reader stops at EIO, once
        // no process has the terminal open any more.
        let _ = self.reader.join();
        let text = String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned();
        (status.code(), text)
    }
}

fn pty_dir(hint: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mpscript-pty-{hint}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn interactive_through_a_pty() {
    let dir = pty_dir("basic");
    let history = dir.join("state/history");
    let mut pty = Pty::start(&history);
    pty.wait_for(">>> ", 1);
    pty.type_keys("fn sq(n) {\r");
    pty.wait_for("... ", 1);
    pty.type_keys("return n * n\r}\r");
    pty.wait_for(">>> ", 2);
    pty.type_keys("sq(7)\r");
    pty.wait_for("49\r\n", 1);
    pty.type_keys("\u{4}");
    let (code, out) = pty.finish();
    let saved = std::fs::read_to_string(&history).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.contains("mpscript 0.1.0"), "{out:?}");
    assert!(saved.contains("sq(7)"), "history: {saved}");
    assert_eq!(code, Some(0), "{out:?}");
}

/// Lines typed (or pasted) faster than they run are all kept.
#[test]
fn typed_ahead_lines_all_run() {
    let dir = pty_dir("ahead");
    let mut pty = Pty::start(&dir.join("history"));
    pty.wait_for(">>> ", 1);
    pty.type_keys("print(\"one\")\rprint(\"two\")\rprint(\"three\")\r");
    let out = pty.wait_for("three\r\n", 1);
    assert!(out.contains("one\r\n") && out.contains("two\r\n"), "{out:?}");
    pty.type_keys("\u{4}");
    let (code, _) = pty.finish();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(0));
}

/// Ctrl-C stops a `sleep` and gives one fresh prompt; a child started after
/// it is still joined (not killed) when Ctrl-D ends the REPL.
#[test]
fn ctrl_c_then_ctrl_d_joins_running_children() {
    let dir = pty_dir("ctrlc");
    let flag = dir.join("child-ran");
    let mut pty = Pty::start(&dir.join("history"));
    pty.wait_for(">>> ", 1);
    pty.type_keys("print(\"sleep\" + \"ing\"); sleep(60)\r");
    pty.wait_for("sleeping\r\n", 1);
    pty.type_keys("\u{3}");
    pty.wait_for("KeyboardInterrupt", 1);
    pty.type_keys(&format!(
        "let p = spawn {{ sleep(0.3); write_file(\"{}\", \"yes\"); print(\"child \" + \"done\") }}\r",
        flag.display()
    ));
    let out = pty.wait_for("let p = spawn", 1);
    // One prompt after the interrupt, then the typed line.
    let after = &out[out.find("KeyboardInterrupt").unwrap()..out.find("let p = spawn").unwrap()];
    assert_eq!(after.matches(">>> ").count(), 1, "{out:?}");
    pty.type_keys("\u{4}");
    let (code, out) = pty.finish();
    let ran = std::fs::read_to_string(&flag).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(ran, "yes", "{out:?}");
    assert!(out.contains("child done"), "{out:?}");
    assert_eq!(code, Some(0), "{out:?}");
}

/// Tab completes methods of a global's kind, builtins (with their `(`) and
/// `:commands`, through a real terminal.
#[test]
fn tab_completion_through_a_pty() {
    let dir = pty_dir("complete");
    let mut pty = Pty::start(&dir.join("history"));
    pty.wait_for(">>> ", 1);
    pty.type_keys("queue jobs\r");
    pty.wait_for(">>> ", 2);
    // `put_n` is only `put_nowait(` on a queue; then `qs` is only `qsize(`.
    pty.type_keys("jobs.put_n\t7)\r");
    pty.wait_for(">>> ", 3);
    pty.type_keys("jobs.qs\t)\r");
    pty.wait_for("1\r\n", 1);
    pty.type_keys("pri\t\"com\" + \"pleted\")\r");
    pty.wait_for("completed\r\n", 1);
    pty.type_keys(":he\tlock.acquire\r");
    let out = pty.wait_for("block=true, timeout=nil", 1);
    assert!(out.contains(">>> jobs.put_nowait(") && out.contains(">>> print("), "{out:?}");
    pty.type_keys("\u{4}");
    let (code, out) = pty.finish();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(0), "{out:?}");
}

/// The typed line is highlighted: keywords, strings, numbers.
#[test]
fn highlighting_through_a_pty() {
    let dir = pty_dir("colour");
    let mut pty = Pty::launch(&dir.join("history"), true);
    pty.wait_for(">>> ", 1);
    pty.type_keys("let s = \"txt\" # note");
    pty.wait_for("\x1b[90m# note", 1);
    pty.type_keys("\r");
    pty.wait_for(">>> ", 2);
    pty.type_keys("for i in 0..2 { print(i * 10) }\r");
    let out = pty.wait_for("10\r\n", 1);
    assert!(out.contains("\x1b[1;35mlet\x1b[0m"), "{out:?}");
    assert!(out.contains("\x1b[32m\"txt\"\x1b[0m"), "{out:?}");
    assert!(out.contains("\x1b[1;35mfor\x1b[0m"), "{out:?}");
    assert!(out.contains("\x1b[36m10\x1b[0m"), "{out:?}");
    pty.type_keys("\u{4}");
    let (code, out) = pty.finish();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(0), "{out:?}");
}

/// `:help TOPIC` prints the reference entry.
#[test]
fn help_topics_in_the_repl() {
    let s = repl(":help pool.map\n:help nosuch_topic\nhelp(print)\n");
    assert!(s.stdout.starts_with("pool.map, pool.starmap"), "{}", s.stdout);
    assert!(s.stdout.contains("`p.map(f, xs, chunksize=nil)`"), "{}", s.stdout);
    assert!(s.stdout.contains("\nprint\n\n`print(values..."), "{}", s.stdout);
    assert!(s.stderr.contains("no help for `nosuch_topic`"), "{}", s.stderr);
}
