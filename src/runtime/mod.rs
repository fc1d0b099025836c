//! The OS-level layer: processes and process-shared primitives, one module
//! each. Knows nothing of syntax; the evaluator calls in through the
//! functions below, which dispatch on the handle's kind.

pub mod output;

use crate::diagnostics::ErrorObj;
use crate::eval::Interp;
use crate::syntax::ast::GuardKind;
use crate::value::{Args, BuiltinFn, Value};

type R<T> = Result<T, Box<ErrorObj>>;

/// A value that names an OS-level object shared by every process of the
/// program (a process, lock, queue…). Compared by identity.
#[derive(Clone, Debug, PartialEq)]
pub enum Handle {}

impl Handle {
    pub fn describe(&self) -> String {
        match *self {}
    }

    pub fn type_name(&self) -> &'static str {
        match *self {}
    }
}

/// Constructors and process builtins, defined as globals.
pub const CONSTRUCTORS: &[(&str, BuiltinFn)] = &[
    ("lock", not_yet),
    ("sem", not_yet),
    ("event", not_yet),
    ("queue", not_yet),
    ("pipe", not_yet),
    ("pool", not_yet),
    ("shared", not_yet),
    ("fork", not_yet),
    ("wait", not_yet),
    ("waitpid", not_yet),
    ("kill", not_yet),
    ("signal", not_yet),
    ("run", not_yet),
];

fn not_yet(_: &mut Interp, a: &mut Args) -> R<Value> {
    Err(ErrorObj::not_implemented(&format!("`{}`", a.name)))
}

/// What `guard_exit` needs to release what `guard_enter` took.
pub struct GuardToken(());

pub fn guard_enter(_: &mut Interp, kind: GuardKind, obj: &Value) -> R<GuardToken> {
    let what = if kind == GuardKind::Lock { "lock" } else { "sem" };
    match obj {
        Value::Handle(h) => match *h {},
        other => Err(ErrorObj::new(
            "TypeError",
            format!("`{what} … {{ }}` needs a {what}, not {}", crate::value::type_name(other)),
        )),
    }
}

pub fn guard_exit(_: &mut Interp, token: GuardToken) -> R<()> {
    let GuardToken(()) = token;
    Ok(())
}

pub fn call_method(_: &mut Interp, h: &Handle, _name: &str, _a: &mut Args) -> R<Value> {
    match *h {}
}

pub fn field_get(h: &Handle, _name: &str) -> R<Value> {
    match *h {}
}

pub fn field_set(h: &Handle, _name: &str, _v: Value) -> R<()> {
    match *h {}
}

pub fn index_get(h: &Handle, _index: &Value) -> R<Value> {
    match *h {}
}

pub fn index_set(h: &Handle, _index: &Value, _v: Value) -> R<()> {
    match *h {}
}

pub fn iterate(h: &Handle) -> R<Vec<Value>> {
    match *h {}
}

pub fn len(h: &Handle) -> R<Value> {
    match *h {}
}

/// The REPL's `:ps`: one line per live child process, with what it waits on.
pub fn ps_report() -> String {
    "no child processes\n".into()
}

/// `sleep(secs)`.
pub fn sleep(_: &mut Interp, secs: f64) -> R<()> {
    std::thread::sleep(std::time::Duration::from_secs_f64(secs));
    Ok(())
}
