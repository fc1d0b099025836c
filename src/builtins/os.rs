//! Operating-system builtins: process ids, the low-level `fork`/`wait`
//! family for teaching, signals, and running external commands.

use super::BResult;
use crate::diagnostics::ErrorObj;
use crate::eval::Interp;
use crate::runtime::{process, signals, table::WaitKind, wait::Recorded};
use crate::value::{self, display, Args, BuiltinFn, DictMap, Key, Value};
use std::io::{Read, Write};

pub const BUILTINS: &[(&str, BuiltinFn)] = &[
    ("getpid", getpid),
    ("getppid", getppid),
    ("cpu_count", cpu_count),
    ("fork", fork),
    ("wait", wait),
    ("waitpid", waitpid),
    ("kill", kill),
    ("signal", signal),
    ("run", run),
];

fn getpid(_: &mut Interp, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    Ok(Value::Int(nix::unistd::getpid().as_raw() as i64))
}

fn getppid(_: &mut Interp, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    Ok(Value::Int(nix::unistd::getppid().as_raw() as i64))
}

fn cpu_count(_: &mut Interp, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    Ok(Value::Int(std::thread::available_parallelism().map_or(1, |n| n.get()) as i64))
}

fn fork(interp: &mut Interp, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    process::fork_builtin(interp)
}

fn wait(interp: &mut Interp, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    process::wait_builtin(interp, None, a.span)
}

fn waitpid(interp: &mut Interp, a: &mut Args) -> BResult {
    a.check(1, 1, &[])?;
    let pid = a.int(0, "the pid")?;
    process::wait_builtin(interp, Some(pid as i32), a.span)
}

fn signal_number(v: &Value, func: &str) -> Result<i32, Box<ErrorObj>> {
    match v {
        Value::Int(n) if (1..64).contains(n) => Ok(*n as i32),
        Value::Str(s) => signals::number(s).ok_or_else(|| {
            ErrorObj::new("ValueError", format!("{func}(): unknown signal `{s}`"))
                .with_help("use a name such as \"SIGTERM\", \"SIGUSR1\" or \"SIGINT\"")
        }),
        other => Err(value::wrong_type(func, "the signal", "a signal name or number", other)),
    }
}

fn kill(_: &mut Interp, a: &mut Args) -> BResult {
    a.check(1, 2, &[])?;
    let pid = a.int(0, "the pid")?;
    let sig = match a.pos.get(1) {
        Some(v) => signal_number(v, "kill")?,
        None => libc::SIGTERM,
    };
    if pid <= 0 {
        return Err(ErrorObj::new("ValueError", "kill(): the pid must be positive"));
    }
    // SAFETY: plain kill(2).
    if unsafe { libc::kill(pid as i32, sig) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(ErrorObj::new("ProcessError", format!("kill({pid}, {}): {e}", signals::name(sig))));
    }
    Ok(Value::Nil)
}

fn signal(interp: &mut Interp, a: &mut Args) -> BResult {
    a.check(2, 2, &[])?;
    let sig = signal_number(&a.pos[0], "signal")?;
    if sig == libc::SIGKILL || sig == libc::SIGSTOP {
        return Err(ErrorObj::new("ValueError", format!("{} cannot be caught", signals::name(sig))));
    }
    interp.rt.handlers.retain(|(s, _)| *s != sig);
    match &a.pos[1] {
        Value::Nil => {
            if sig == libc::SIGINT {
                signals::install_interrupt();
            } else {
                signals::set_default(sig);
            }
        }
        f @ (Value::Func(_) | Value::Native(_)) => {
            interp.rt.handlers.push((sig, f.clone()));
            signals::catch(sig);
        }
        other => return Err(value::wrong_type("signal", "the handler", "a function or nil", other)),
    }
    crate::runtime::table::set_handlers(interp.rt.slot, interp.rt.handlers.len() as u32);
    Ok(Value::Nil)
}

/// `run(cmd, input=nil)`: `{"code", "stdout", "stderr"}`.
fn run(interp: &mut Interp, a: &mut Args) -> BResult {
    a.check(1, 2, &["input"])?;
    let mut cmd = match a.get(0) {
        Value::Str(s) => {
            let mut c = std::process::Command::new("sh");
            c.arg("-c").arg(&**s);
            c
        }
        Value::List(items) => {
            let argv: Vec<String> = items.borrow().iter().map(display).collect();
            let Some((prog, rest)) = argv.split_first() else {
                return Err(ErrorObj::new("ValueError", "run(): the command list is empty"));
            };
            let mut c = std::process::Command::new(prog);
            c.args(rest);
            c
        }
        other => return Err(value::wrong_type("run", "the command", "a str or a list", other)),
    };
    let input = match a.opt(1, "input") {
        None | Some(Value::Nil) => None,
        Some(v) => Some(display(v)),
    };
    let _rec = Recorded::new(interp, WaitKind::Command, a.span, 0, false);
    cmd.stdin(if input.is_some() { std::process::Stdio::piped() } else { std::process::Stdio::null() })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child =
        cmd.spawn().map_err(|e| ErrorObj::new("IOError", format!("run(): cannot start the command: {e}")))?;
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    // Feed stdin and drain stdout/stderr at once so no pipe fills up; the
    // helper threads end before run() returns, so no fork can see them.
    let (out, err) = std::thread::scope(|s| {
        if let (Some(mut w), Some(text)) = (stdin.take(), input) {
            s.spawn(move || {
                let _ = w.write_all(text.as_bytes());
            });
        }
        let err_reader = s.spawn(move || {
            let mut buf = Vec::new();
            if let Some(e) = stderr.as_mut() {
                let _ = e.read_to_end(&mut buf);
            }
            buf
        });
        let mut out = Vec::new();
        if let Some(o) = stdout.as_mut() {
            let _ = o.read_to_end(&mut out);
        }
        (out, err_reader.join().unwrap_or_default())
    });
    let status = child.wait().map_err(|e| ErrorObj::new("IOError", format!("run(): {e}")))?;
    let code = status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        -status.signal().unwrap_or(0)
    });
    let mut d = DictMap::default();
    d.insert(Key::Str("code".into()), Value::Int(code as i64));
    d.insert(Key::Str("stdout".into()), Value::str(&String::from_utf8_lossy(&out)));
    d.insert(Key::Str("stderr".into()), Value::str(&String::from_utf8_lossy(&err)));
    Ok(Value::dict(d))
}
