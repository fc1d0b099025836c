//! The methods and fields of a pool and of an async result.

use super::jobs::{check_workers, drain, submit, wait_job, AsyncResult, Job, Work};
use super::{close, join, process, terminate, Handle, Pool, Status, R};
use crate::diagnostics::ErrorObj;
use crate::eval::Interp;
use crate::value::{self, Args, Value};
use std::rc::Rc;

fn check_kw(a: &Args, known: &[&str]) -> R<()> {
    for (k, _) in &a.kw {
        if !known.contains(&&**k) {
            return Err(ErrorObj::new("TypeError", format!("{}() got an unexpected keyword argument `{k}`", a.func())));
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
fn calls_of(a: &Args, star: bool) -> R<Vec<Value>> {
    let items = crate::builtins::items_of(a.get(1), &a.func())?;
    if let Some(other) = items.iter().find(|x| star && !matches!(x, Value::List(_))) {
        return Err(ErrorObj::new(
            "TypeError",
            format!("starmap() needs a list of argument lists, not a list of {}", value::type_name(other)),
        ));
    }
    Ok(items)
}

pub fn method(interp: &mut Interp, pool: &Rc<Pool>, name: &str, a: &mut Args) -> R<Value> {
    let span = a.span;
    match name {
        "map" | "starmap" | "map_async" | "starmap_async" => {
            let is_async = name.ends_with("_async");
            if a.pos.len() != 2 {
                return Err(ErrorObj::new("TypeError", format!("{}() takes a function and a list", a.func())));
            }
            check_kw(a, if is_async { &["chunksize", "callback", "error_callback"] } else { &["chunksize"] })?;
            let star = name.starts_with("star");
            let calls = calls_of(a, star)?;
            let job = Job::new(false, calls.len(), callable_kw(a, "callback"), callable_kw(a, "error_callback"));
            let work = Work { f: a.get(0), star, items: calls, chunksize: chunksize_kw(a)? };
            let job = submit(interp, pool, work, job, span)?;
            if is_async {
                return Ok(Value::Handle(Handle::AsyncResult(Rc::new(AsyncResult { pool: pool.clone(), job }))));
            }
            wait_job(interp, pool, &job, None, span)?;
            Job::into_outcome(job)
        }
        "apply" | "apply_async" => {
            let is_async = name == "apply_async";
            if a.pos.is_empty() {
                return Err(ErrorObj::new("TypeError", format!("{}() needs a function", a.func())));
            }
            check_kw(a, if is_async { &["callback", "error_callback"] } else { &[] })?;
            let job = Job::new(true, 1, callable_kw(a, "callback"), callable_kw(a, "error_callback"));
            let args = Value::list(a.pos[1..].to_vec());
            let work = Work { f: a.get(0), star: true, items: vec![args], chunksize: Some(1) };
            let job = submit(interp, pool, work, job, span)?;
            if is_async {
                return Ok(Value::Handle(Handle::AsyncResult(Rc::new(AsyncResult { pool: pool.clone(), job }))));
            }
            wait_job(interp, pool, &job, None, span)?;
            Job::into_outcome(job)
        }
        "close" | "join" | "terminate" => {
            a.check(0, 0, &[])?;
            match name {
                "close" => close(interp, pool)?,
                "join" => join(interp, pool, span)?,
                _ => terminate(interp, pool)?,
            }
            Ok(Value::Nil)
        }
        _ => Err(crate::builtins::no_method(&Value::Handle(Handle::Pool(pool.clone())), name)),
    }
}

pub fn field(pool: &Pool, name: &str) -> R<Value> {
    match name {
        "size" => Ok(Value::Int(pool.size as i64)),
        "pids" => Ok(pool.pids()),
        _ => Err(ErrorObj::new("AttributeError", format!("pool has no field `{name}`"))),
    }
}

fn timeout_of(a: &Args) -> R<Option<f64>> {
    a.check(0, 1, &["timeout"])?;
    match a.opt(0, "timeout") {
        None | Some(Value::Nil) => Ok(None),
        Some(v) => Ok(Some(value::expect_float(v, &a.func(), "timeout")?.max(0.0))),
    }
}

pub fn result_method(interp: &mut Interp, r: &Rc<AsyncResult>, name: &str, a: &mut Args) -> R<Value> {
    let (pool, job) = (&r.pool, &r.job);
    match name {
        "get" => {
            let timeout = timeout_of(a)?;
            if !wait_job(interp, pool, job, timeout, a.span)? {
                return Err(ErrorObj::new("TimeoutError", "the result did not arrive in time"));
            }
            job.outcome()
        }
        "wait" => {
            let timeout = timeout_of(a)?;
            wait_job(interp, pool, job, timeout, a.span)?;
            Ok(Value::Nil)
        }
        "ready" | "successful" => {
            a.check(0, 0, &[])?;
            if !job.done.get() && pool.owner == process::my_pid() && pool.status.get() != Status::Joined {
                drain(interp, pool)?;
                check_workers(interp, pool)?;
            }
            match (name, job.done.get()) {
                ("ready", done) => Ok(Value::Bool(done)),
                (_, false) => Err(ErrorObj::new("ValueError", "the result is not ready yet")),
                (_, true) => Ok(Value::Bool(job.error.borrow().is_none())),
            }
        }
        _ => Err(crate::builtins::no_method(&Value::Handle(Handle::AsyncResult(r.clone())), name)),
    }
}
