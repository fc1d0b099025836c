//! Operating-system builtins: process ids, the low-level `fork`/`wait`
//! family for teaching, signals, and running external commands.

use super::BResult;
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Host;
use crate::runtime::{process, signals, table, Handle};
use crate::value::{self, display, Args, BuiltinFn, DictMap, Key, Value};

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
    ("current_process", current_process),
    ("parent_process", parent_process),
    ("active_children", active_children),
    ("_arena_used", arena_used),
];

/// `_arena_used()`: bytes of the shared arena in use. Undocumented, for the
/// fault-injection tests (a killed process must leak nothing).
fn arena_used(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    Ok(Value::Int(crate::runtime::shm::used() as i64))
}

/// The handle of the process in table entry `e`, seen from this process.
fn handle_of(e: &table::EntryView) -> Value {
    let h = process::ProcessHandle::running(e.pid, e.slot, e.name.clone(), e.daemon, e.ppid);
    Value::Handle(Handle::Process(h))
}

/// `current_process()`: this process's handle (`.name`, `.pid`, `.daemon`);
/// `MainProcess` in the main program, as in Python.
fn current_process(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    let me = process::my_pid();
    let daemon = table::snapshot().iter().any(|e| e.pid == me && e.daemon);
    let parent = if interp.rt.is_child { nix::unistd::getppid().as_raw() } else { 0 };
    let h = process::ProcessHandle::running(me, interp.rt.slot, interp.process.name.clone(), daemon, parent);
    Ok(Value::Handle(Handle::Process(h)))
}

/// `parent_process()`: the handle of the process that started this one;
/// `nil` in the main program, as in Python.
fn parent_process(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    if !interp.rt.is_child {
        return Ok(Value::Nil);
    }
    let ppid = nix::unistd::getppid().as_raw();
    Ok(table::snapshot().iter().find(|e| e.pid == ppid).map_or(Value::Nil, handle_of))
}

/// `active_children()`: the live children of this process (finished ones
/// are reaped first, as Python does), as their handles.
fn active_children(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    process::reap_finished(interp);
    let live: Vec<Value> = interp
        .rt
        .children
        .iter()
        .filter_map(|c| c.handle.clone())
        .filter(|h| h.exitcode.get().is_none())
        .map(|h| Value::Handle(Handle::Process(h)))
        .collect();
    Ok(Value::list(live))
}

fn getpid(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    Ok(Value::Int(nix::unistd::getpid().as_raw() as i64))
}

fn getppid(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    Ok(Value::Int(nix::unistd::getppid().as_raw() as i64))
}

fn cpu_count(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    Ok(Value::Int(std::thread::available_parallelism().map_or(1, |n| n.get()) as i64))
}

fn fork(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    process::fork_builtin(interp)
}

fn wait(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    process::wait_builtin(interp, None, a.span)
}

fn waitpid(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 1, &[])?;
    let pid = a.int(0, "the pid")?;
    process::wait_builtin(interp, Some(pid as i32), a.span)
}

fn signal_number(v: &Value, func: &str) -> Result<i32, Box<ErrorObj>> {
    match v {
        Value::Int(n) if (1..64).contains(n) => Ok(*n as i32),
        Value::Str(s) => signals::number(s).ok_or_else(|| {
            ErrorObj::new(ErrorKind::ValueError, format!("{func}(): unknown signal `{s}`"))
                .with_help("use a name such as \"SIGTERM\", \"SIGUSR1\" or \"SIGINT\"")
        }),
        other => Err(value::wrong_type(func, "the signal", "a signal name or number", other)),
    }
}

fn kill(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 2, &[])?;
    let pid = a.int(0, "the pid")?;
    let sig = match a.pos.get(1) {
        Some(v) => signal_number(v, "kill")?,
        None => libc::SIGTERM,
    };
    if pid <= 0 {
        return Err(ErrorObj::new(ErrorKind::ValueError, "kill(): the pid must be positive"));
    }
    // SAFETY: plain kill(2).
    if unsafe { libc::kill(pid as i32, sig) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(ErrorObj::new(ErrorKind::ProcessError, format!("kill({pid}, {}): {e}", signals::name(sig))));
    }
    Ok(Value::Nil)
}

fn signal(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(2, 2, &[])?;
    let sig = signal_number(&a.pos[0], "signal")?;
    if sig == libc::SIGKILL || sig == libc::SIGSTOP {
        return Err(ErrorObj::new(ErrorKind::ValueError, format!("{} cannot be caught", signals::name(sig))));
    }
    interp.rt.handlers.retain(|(s, _)| *s != sig);
    match &a.pos[1] {
        // Python's SIG_DFL. SIGINT (and SIGTERM, SIGHUP in the main
        // process) get back the interpreter's own handling: Ctrl-C raises
        // KeyboardInterrupt and ends the whole tree, as it does by default.
        Value::Nil => default_action(interp, sig),
        Value::Str(s) if &**s == "default" => default_action(interp, sig),
        // Python's SIG_IGN: the OS drops the signal (children inherit it).
        Value::Str(s) if &**s == "ignore" => signals::ignore(sig),
        Value::Str(s) => {
            return Err(ErrorObj::new(
                ErrorKind::ValueError,
                format!(
                    "signal(): the handler must be a function, \"ignore\" or \"default\", not {}",
                    value::repr(&Value::Str(s.clone()))
                ),
            ))
        }
        f @ (Value::Func(_) | Value::Native(_)) => {
            interp.rt.handlers.push((sig, f.clone()));
            signals::catch(sig);
        }
        other => {
            return Err(value::wrong_type("signal", "the handler", "a function, \"ignore\" or \"default\"", other))
        }
    }
    crate::runtime::table::set_handlers(interp.rt.slot, interp.rt.handlers.len() as u32);
    Ok(Value::Nil)
}

/// What a signal does by default here (see `signal`).
fn default_action(interp: &dyn Host, sig: i32) {
    match sig {
        libc::SIGINT => signals::install_interrupt(),
        libc::SIGTERM | libc::SIGHUP if !interp.rt.is_child && interp.rt.started => signals::catch(sig),
        _ => signals::set_default(sig),
    }
}

/// `run(cmd, input=nil)`: `{"code", "stdout", "stderr"}`.
fn run(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 2, &["input"])?;
    let cmd = match a.get(0) {
        Value::Str(s) => {
            let mut c = std::process::Command::new("sh");
            c.arg("-c").arg(&**s);
            c
        }
        Value::List(items) => {
            let argv: Vec<String> = items.borrow().iter().map(display).collect();
            let Some((prog, rest)) = argv.split_first() else {
                return Err(ErrorObj::new(ErrorKind::ValueError, "run(): the command list is empty"));
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
    let ran = crate::runtime::command::run(interp, cmd, input, a.span)?;
    let (code, out, err) = (ran.code, ran.stdout, ran.stderr);
    let mut d = DictMap::default();
    d.insert(Key::Str("code".into()), Value::Int(code as i64));
    d.insert(Key::Str("stdout".into()), Value::str(&String::from_utf8_lossy(&out)));
    d.insert(Key::Str("stderr".into()), Value::str(&String::from_utf8_lossy(&err)));
    Ok(Value::dict(d))
}
