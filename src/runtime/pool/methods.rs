//! The methods and fields of a pool and of an async result.

use super::jobs::{check_workers, drain, submit, wait_job, AsyncResult, Job, Mode, Work};
use super::results::ResultIter;
use super::{close, join, process, terminate, Handle, Pool, Status, R};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::{no_field, no_method, Host, Table};
use crate::syntax::member::Member;
use crate::value::{self, Args, Value};
use std::rc::Rc;

fn check_kw(a: &Args, known: &[&str]) -> R<()> {
    for (k, _) in &a.kw {
        if !known.contains(&&**k) {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("{}() got an unexpected keyword argument `{k}`", a.func()),
            ));
        }
    }
    Ok(())
}

fn callable_kw(a: &Args, name: &str) -> Option<Value> {
    a.kw(name).filter(|v| !matches!(v, Value::Nil)).cloned()
}

fn chunksize_kw(a: &Args) -> R<Option<usize>> {
    match a.kw("chunksize") {
        None | Some(Value::Nil) => Ok(None),
        Some(v) => Ok(Some(value::expect_int(v, &a.func(), "chunksize")?.max(1) as usize)),
    }
}

/// The items of a map; for a starmap each must be a list of arguments.
fn calls_of(a: &Args, items: &Value, star: bool) -> R<Vec<Value>> {
    let items = crate::value::items_of(items, &a.func())?;
    if let Some(other) = items.iter().find(|x| star && !matches!(x, Value::List(_))) {
        return Err(ErrorObj::new(
            ErrorKind::TypeError,
            format!("starmap() needs a list of argument lists, not a list of {}", value::type_name(other)),
        ));
    }
    Ok(items)
}

/// The task: the first argument or `func=` (Python's keyword form).
fn func_of(a: &Args) -> R<Value> {
    match (a.pos.first(), a.kw("func")) {
        (Some(_), Some(_)) => {
            Err(ErrorObj::new(ErrorKind::TypeError, format!("{}() got the function twice", a.func())))
        }
        (Some(f), None) | (None, Some(f)) => Ok(f.clone()),
        (None, None) => Err(ErrorObj::new(ErrorKind::TypeError, format!("{}() needs a function", a.func()))
            .with_help(format!("{}(f, …) or {}(func=f, …)", a.func(), a.func()))),
    }
}

/// `args=[…]` and `kwds={…}` of apply, or the values after the function
/// (`p.apply(f, 1, 2)`): the argument list and the keyword arguments.
fn apply_args(a: &Args) -> R<(Value, Option<Value>)> {
    let extra = a.pos.len().saturating_sub(1);
    let args = match a.kw("args") {
        Some(_) if extra > 0 => {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("{}() got arguments both after the function and as args=", a.func()),
            ))
        }
        None | Some(Value::Nil) => Value::list(a.pos.iter().skip(1).cloned().collect()),
        Some(v @ Value::List(_)) => v.clone(),
        Some(other) => {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("{}(): args= must be a list, not {}", a.func(), value::type_name(other)),
            ))
        }
    };
    let kwds = match a.kw("kwds") {
        None | Some(Value::Nil) => None,
        Some(Value::Dict(d)) => {
            if let Some(k) = d.borrow().keys().find(|k| !matches!(k, value::Key::Str(_))) {
                return Err(ErrorObj::new(
                    ErrorKind::TypeError,
                    format!("{}(): the keys of kwds= must be strings, not {}", a.func(), value::repr(&k.to_value())),
                ));
            }
            (!d.borrow().is_empty()).then(|| Value::Dict(d.clone()))
        }
        Some(other) => {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("{}(): kwds= must be a dict, not {}", a.func(), value::type_name(other)),
            ))
        }
    };
    Ok((args, kwds))
}

fn async_result(pool: &Rc<Pool>, job: Rc<Job>) -> Value {
    Value::Handle(Handle::AsyncResult(Rc::new(AsyncResult { pool: pool.clone(), job })))
}

/// A pool's methods and fields (see `runtime::Table`).
pub const TABLE: Table = Table {
    methods: &[
        Member::Map,
        Member::Starmap,
        Member::MapAsync,
        Member::StarmapAsync,
        Member::Imap,
        Member::ImapUnordered,
        Member::Apply,
        Member::ApplyAsync,
        Member::Close,
        Member::Join,
        Member::Terminate,
    ],
    fields: &[Member::Size, Member::Pids],
};

/// An async result's methods (see `runtime::Table`).
pub const RESULT_TABLE: Table =
    Table { methods: &[Member::Get, Member::Wait, Member::Ready, Member::Successful], fields: &[] };

pub fn call_method(interp: &mut (impl Host + ?Sized), pool: &Rc<Pool>, m: &Member, a: &mut Args) -> R<Value> {
    let span = a.span;
    match m {
        // Python: map(func, iterable, chunksize=None), map_async(…, callback=, error_callback=).
        // imap gives the results in order, imap_unordered as they arrive
        // (chunksize 1 by default): both one at a time, as an iterator.
        Member::Map
        | Member::Starmap
        | Member::MapAsync
        | Member::StarmapAsync
        | Member::Imap
        | Member::ImapUnordered => {
            let is_async = matches!(m, Member::MapAsync | Member::StarmapAsync);
            let f = func_of(a)?;
            let given = a.pos.len() + ["func", "iterable", "chunksize"].iter().filter(|k| a.kw(k).is_some()).count();
            let items = a.pos.get(1).or(a.kw("iterable"));
            let (Some(items), true) = (items, (2..=3).contains(&given) && a.pos.len() <= 3) else {
                return Err(ErrorObj::new(ErrorKind::TypeError, format!("{}() takes a function and a list", a.func()))
                    .with_help(format!("{}(f, xs) or {}(func=f, iterable=xs, chunksize=n)", a.func(), a.func())));
            };
            let known: &[&str] = match is_async {
                true => &["func", "iterable", "chunksize", "callback", "error_callback"],
                false => &["func", "iterable", "chunksize"],
            };
            check_kw(a, known)?;
            let star = matches!(m, Member::Starmap | Member::StarmapAsync);
            let calls = calls_of(a, items, star)?;
            let chunksize = match a.pos.get(2) {
                Some(v) => Some(value::expect_int(v, &a.func(), "chunksize")?.max(1) as usize),
                None => chunksize_kw(a)?,
            };
            let lazy = matches!(m, Member::Imap | Member::ImapUnordered);
            let job = match m {
                Member::Imap => Job::lazy(calls.len(), true),
                Member::ImapUnordered => Job::lazy(calls.len(), false),
                _ => Job::new(false, calls.len(), callable_kw(a, "callback"), callable_kw(a, "error_callback")),
            };
            let chunksize = match m {
                Member::Imap | Member::ImapUnordered => chunksize.or(Some(1)),
                _ => chunksize,
            };
            let mode = if star { Mode::List } else { Mode::One };
            let work = Work { f: &f, mode, items: calls, chunksize };
            let job = submit(interp, pool, work, job, span)?;
            if is_async {
                return Ok(async_result(pool, job));
            }
            if lazy {
                return Ok(Value::Handle(Handle::Results(Rc::new(ResultIter::new(pool.clone(), job)))));
            }
            wait_job(interp, pool, &job, None, span)?;
            Job::into_outcome(job)
        }
        // Python: apply(func, args=(), kwds={}), apply_async(…, callback=, error_callback=).
        Member::Apply | Member::ApplyAsync => {
            let is_async = *m == Member::ApplyAsync;
            let f = func_of(a)?;
            let known: &[&str] = match is_async {
                true => &["func", "args", "kwds", "callback", "error_callback"],
                false => &["func", "args", "kwds"],
            };
            check_kw(a, known)?;
            let (args, kwds) = apply_args(a)?;
            let job = Job::new(true, 1, callable_kw(a, "callback"), callable_kw(a, "error_callback"));
            let (mode, item) = match kwds {
                Some(kwds) => (Mode::ListKw, Value::list(vec![args, kwds])),
                None => (Mode::List, args),
            };
            let work = Work { f: &f, mode, items: vec![item], chunksize: Some(1) };
            let job = submit(interp, pool, work, job, span)?;
            if is_async {
                return Ok(async_result(pool, job));
            }
            wait_job(interp, pool, &job, None, span)?;
            Job::into_outcome(job)
        }
        Member::Close | Member::Join | Member::Terminate => {
            a.check(0, 0, &[])?;
            match m {
                Member::Close => close(interp, pool)?,
                Member::Join => join(interp, pool, span)?,
                _ => terminate(interp, pool)?,
            }
            Ok(Value::Nil)
        }
        _ => Err(no_method(&Handle::Pool(pool.clone()), m)),
    }
}

pub fn field_get(pool: &Rc<Pool>, m: &Member) -> R<Value> {
    match m {
        Member::Size => Ok(Value::Int(pool.size as i64)),
        Member::Pids => Ok(pool.pids()),
        _ => Err(no_field(&Handle::Pool(pool.clone()), m)),
    }
}

fn timeout_of(a: &Args) -> R<Option<f64>> {
    a.check(0, 1, &["timeout"])?;
    match a.opt(0, "timeout") {
        None | Some(Value::Nil) => Ok(None),
        Some(v) => crate::runtime::wait::timeout_secs(value::expect_float(v, &a.func(), "timeout")?, &a.func()),
    }
}

pub fn result_method(interp: &mut (impl Host + ?Sized), r: &Rc<AsyncResult>, m: &Member, a: &mut Args) -> R<Value> {
    let (pool, job) = (&r.pool, &r.job);
    match m {
        Member::Get => {
            let timeout = timeout_of(a)?;
            if !wait_job(interp, pool, job, timeout, a.span)? {
                return Err(ErrorObj::new(ErrorKind::TimeoutError, "the result did not arrive in time"));
            }
            job.outcome()
        }
        Member::Wait => {
            let timeout = timeout_of(a)?;
            wait_job(interp, pool, job, timeout, a.span)?;
            Ok(Value::Nil)
        }
        Member::Ready | Member::Successful => {
            a.check(0, 0, &[])?;
            if !job.done.get() && pool.owner == process::my_pid() && pool.status.get() != Status::Joined {
                drain(interp, pool)?;
                check_workers(interp, pool)?;
            }
            match (m, job.done.get()) {
                (Member::Ready, done) => Ok(Value::Bool(done)),
                (_, false) => Err(ErrorObj::new(ErrorKind::ValueError, "the result is not ready yet")),
                (_, true) => Ok(Value::Bool(job.error.borrow().is_none())),
            }
        }
        _ => Err(no_method(&Handle::AsyncResult(r.clone()), m)),
    }
}
