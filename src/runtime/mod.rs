//! The OS-level layer: processes and process-shared primitives, one module
//! each. Knows nothing of syntax; the evaluator calls in through the
//! functions below, which dispatch on the handle's kind.

pub mod output;
pub mod process;
pub mod signals;
pub mod table;
pub mod wait;

use crate::diagnostics::ErrorObj;
use crate::eval::Interp;
use crate::syntax::ast::GuardKind;
use crate::value::{self, Args, BuiltinFn, Value};
use process::ProcessHandle;
use std::rc::Rc;

pub use process::Runtime;

type R<T> = Result<T, Box<ErrorObj>>;

/// A value that names an OS-level object shared by every process of the
/// program (a process, lock, queue…). Compared by identity.
#[derive(Clone, Debug)]
pub enum Handle {
    Process(Rc<ProcessHandle>),
}

impl PartialEq for Handle {
    fn eq(&self, other: &Handle) -> bool {
        match (self, other) {
            (Handle::Process(a), Handle::Process(b)) => a.pid == b.pid,
        }
    }
}

impl Handle {
    pub fn describe(&self) -> String {
        match self {
            Handle::Process(p) => {
                let state = match p.exitcode.get() {
                    None => "started".to_string(),
                    Some(c) => format!("stopped exitcode={c}"),
                };
                format!("<process {} pid={} {state}{}>", p.name.borrow(), p.pid, if p.daemon { " daemon" } else { "" })
            }
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Handle::Process(_) => "process",
        }
    }
}

/// Constructors of primitives not built yet, defined as globals.
pub const CONSTRUCTORS: &[(&str, BuiltinFn)] = &[
    ("lock", not_yet),
    ("sem", not_yet),
    ("event", not_yet),
    ("queue", not_yet),
    ("pipe", not_yet),
    ("pool", not_yet),
    ("shared", not_yet),
];

fn not_yet(_: &mut Interp, a: &mut Args) -> R<Value> {
    Err(ErrorObj::not_implemented(&format!("`{}`", a.name)))
}

/// What `guard_exit` needs to release what `guard_enter` took.
pub struct GuardToken(());

pub fn guard_enter(_: &mut Interp, kind: GuardKind, obj: &Value) -> R<GuardToken> {
    let what = if kind == GuardKind::Lock { "lock" } else { "sem" };
    Err(ErrorObj::new("TypeError", format!("`{what} … {{ }}` needs a {what}, not {}", value::type_name(obj))))
}

pub fn guard_exit(_: &mut Interp, token: GuardToken) -> R<()> {
    let GuardToken(()) = token;
    Ok(())
}

fn timeout_arg(a: &Args, pos: usize) -> R<Option<f64>> {
    match a.opt(pos, "timeout") {
        None | Some(Value::Nil) => Ok(None),
        Some(v) => Ok(Some(value::expect_float(v, &a.name, "timeout")?.max(0.0))),
    }
}

pub fn call_method(interp: &mut Interp, h: &Handle, name: &str, a: &mut Args) -> R<Value> {
    match h {
        Handle::Process(p) => match name {
            "join" => {
                a.check(0, 1, &["timeout"])?;
                let timeout = timeout_arg(a, 0)?;
                process::join(interp, p, timeout, a.span)?;
                Ok(Value::Nil)
            }
            "is_alive" => {
                a.check(0, 0, &[])?;
                Ok(Value::Bool(process::is_alive(interp, p)))
            }
            "terminate" => {
                a.check(0, 0, &[])?;
                process::send_signal(p, libc::SIGTERM).map(|_| Value::Nil)
            }
            "kill" => {
                a.check(0, 0, &[])?;
                process::send_signal(p, libc::SIGKILL).map(|_| Value::Nil)
            }
            _ => Err(crate::builtins::no_method(&Value::Handle(h.clone()), name)),
        },
    }
}

pub fn field_get(interp: &mut Interp, h: &Handle, name: &str) -> R<Value> {
    match h {
        Handle::Process(p) => Ok(match name {
            "pid" => Value::Int(p.pid as i64),
            "name" => Value::str(&p.name.borrow()),
            "daemon" => Value::Bool(p.daemon),
            "exitcode" => process::exitcode(interp, p).map_or(Value::Nil, |c| Value::Int(c as i64)),
            _ => return Err(ErrorObj::new("AttributeError", format!("process has no field `{name}`"))),
        }),
    }
}

pub fn field_set(_: &mut Interp, h: &Handle, name: &str, v: Value) -> R<()> {
    match h {
        Handle::Process(p) => match name {
            "name" => {
                let s = value::expect_str(&v, "process.name", "the name")?;
                *p.name.borrow_mut() = s.to_string();
                if p.parent == std::process::id() as i32 && p.exitcode.get().is_none() {
                    table::set_name_at(p.slot, &s);
                }
                Ok(())
            }
            "pid" | "exitcode" | "daemon" => {
                Err(ErrorObj::new("AttributeError", format!("process.{name} is read-only")))
            }
            _ => Err(ErrorObj::new("AttributeError", format!("process has no field `{name}`"))),
        },
    }
}

pub fn index_get(h: &Handle, _index: &Value) -> R<Value> {
    Err(ErrorObj::new("TypeError", format!("{} cannot be indexed", h.type_name())))
}

pub fn index_set(h: &Handle, _index: &Value, _v: Value) -> R<()> {
    Err(ErrorObj::new("TypeError", format!("{} does not support item assignment", h.type_name())))
}

pub fn iterate(h: &Handle) -> R<Vec<Value>> {
    Err(ErrorObj::new("TypeError", format!("cannot loop over {}", h.type_name())))
}

pub fn len(h: &Handle) -> R<Value> {
    Err(ErrorObj::new("TypeError", format!("len() of {} is not defined", h.type_name())))
}

/// `sleep(secs)`.
pub fn sleep(interp: &mut Interp, secs: f64) -> R<()> {
    wait::sleep(interp, secs)
}

/// Act on pending signals: Ctrl-C, and handlers registered with `signal()`.
/// Called at safe points: loop turns, calls, interrupted waits.
pub fn safe_point(interp: &mut Interp) -> R<()> {
    let pending = signals::take_pending();
    for sig in 1..64 {
        if pending & (1 << sig) == 0 {
            continue;
        }
        let handler = interp.rt.handlers.iter().find(|(s, _)| *s == sig).map(|(_, h)| h.clone());
        match handler {
            Some(h) => {
                let name = Value::str(&signals::name(sig));
                interp.call_function(&h, vec![name], crate::syntax::span::Span::default())?;
            }
            None if sig == libc::SIGINT => {
                if interp.rt.is_child {
                    // A child ends quietly on Ctrl-C; its parent reports.
                    signals::set_default(libc::SIGINT);
                    process::terminate_all(interp);
                    // SAFETY: re-raise with the default action: die by SIGINT.
                    unsafe { libc::raise(libc::SIGINT) };
                }
                return Err(ErrorObj::new("KeyboardInterrupt", "interrupted (Ctrl-C)"));
            }
            None => {}
        }
    }
    Ok(())
}

/// `:ps`: every live process of the program and what it is doing.
pub fn ps_report(interp: &Interp) -> String {
    let entries = table::snapshot();
    if entries.len() <= 1 && interp.rt.children.is_empty() {
        return "no child processes\n".into();
    }
    let mut out = format!("{:<8} {:<8} {:<20} {}\n", "PID", "PPID", "NAME", "STATE");
    for e in entries {
        let state = match (e.state, &e.wait) {
            (table::State::Waiting, Some(w)) => {
                let place = interp.sources.location(w.span);
                format!("waiting for {} at {place}{}", w.kind.describe(), if w.timed { " (with timeout)" } else { "" })
            }
            (table::State::Exited, _) => format!("exited with code {} (not yet joined)", e.exitcode),
            (table::State::Sleeping, _) => "sleeping".into(),
            _ => "running".into(),
        };
        let daemon = if e.daemon { " [daemon]" } else { "" };
        out.push_str(&format!("{:<8} {:<8} {:<20} {state}{daemon}\n", e.pid, e.ppid, e.name));
    }
    out
}
