//! The OS-level layer: processes and process-shared primitives, one module
//! each, below the evaluator. It knows syntax only as positions (`Span`,
//! rendered through the source map in its `Ctx`) and never imports the
//! evaluator, the resolver or the builtins: what it needs of them is the
//! `Host` trait (`host.rs`) — its own state (`Ctx`) plus "call this script
//! function", which only signal handlers, pool callbacks and workers, and
//! methods of a shared object's list or dict use. The evaluator calls in
//! through the functions below, which dispatch on the handle's kind.

pub mod command;
pub mod deadlock;
pub mod event;
pub mod futex;
pub mod guardian;
pub mod host;
pub mod lock;
pub mod output;
pub mod pipe;
pub mod pool;
pub mod process;
pub mod queue;
pub mod sem;
pub mod shared;
pub mod shm;
pub mod signals;
pub mod table;
pub mod timeline;
pub mod trace;
pub mod wait;

use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::syntax::span::Span;
use crate::value::{self, Args, BuiltinFn, Value};
use event::Event;
use lock::Lock;
use pipe::PipeEnd;
use process::ProcessHandle;
use queue::Queue;
use sem::Sem;
use shared::Shared;
use std::rc::Rc;

pub use host::{Ctx, Host};
pub use process::Runtime;

use crate::diagnostics::R;

/// A value that names an OS-level object shared by every process of the
/// program (a process, lock, queue…). Compared by identity.
#[derive(Clone, Debug)]
pub enum Handle {
    Process(Rc<ProcessHandle>),
    Lock(Lock),
    Sem(Sem),
    Event(Event),
    Shared(Shared),
    Queue(Queue),
    Pipe(PipeEnd),
    /// Local to the process that made it (see pool/).
    Pool(Rc<pool::Pool>),
    AsyncResult(Rc<pool::AsyncResult>),
}

impl PartialEq for Handle {
    fn eq(&self, other: &Handle) -> bool {
        match (self, other) {
            (Handle::Process(a), Handle::Process(b)) => a.pid == b.pid,
            (Handle::Lock(a), Handle::Lock(b)) => a == b,
            (Handle::Sem(a), Handle::Sem(b)) => a == b,
            (Handle::Event(a), Handle::Event(b)) => a == b,
            (Handle::Shared(a), Handle::Shared(b)) => a == b,
            (Handle::Queue(a), Handle::Queue(b)) => a == b,
            (Handle::Pipe(a), Handle::Pipe(b)) => a == b,
            (Handle::Pool(a), Handle::Pool(b)) => Rc::ptr_eq(a, b),
            (Handle::AsyncResult(a), Handle::AsyncResult(b)) => Rc::ptr_eq(a, b),
            _ => false,
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
            Handle::Lock(l) => match l.owner() {
                Some(pid) => format!("<lock #{} held by pid {pid}>", l.id()),
                None => format!("<lock #{} free>", l.id()),
            },
            Handle::Sem(s) => format!("<sem #{} value={}>", s.id(), s.value()),
            Handle::Event(e) => format!("<event #{} {}>", e.id(), if e.is_set() { "set" } else { "clear" }),
            Handle::Shared(s) => s.describe(),
            Handle::Queue(q) => q.describe(),
            Handle::Pipe(p) => p.describe(),
            Handle::Pool(p) => p.describe(),
            Handle::AsyncResult(r) => r.describe(),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Handle::Process(_) => "process",
            Handle::Lock(_) => "lock",
            Handle::Sem(_) => "sem",
            Handle::Event(_) => "event",
            Handle::Shared(_) => "shared",
            Handle::Queue(_) => "queue",
            Handle::Pipe(_) => "pipe end",
            Handle::Pool(_) => "pool",
            Handle::AsyncResult(_) => "async result",
        }
    }
}

/// Constructors of primitives, defined as globals (`lock l` is `let l = lock()`).
pub const CONSTRUCTORS: &[(&str, BuiltinFn)] = &[
    ("lock", new_lock),
    ("sem", new_sem),
    ("event", new_event),
    ("queue", new_queue),
    ("pipe", new_pipe),
    ("pool", new_pool),
    ("shared", new_shared),
];

/// `pool(processes=cpu_count())`.
fn new_pool(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 1, &["processes"])?;
    let n = match a.opt(0, "processes") {
        None | Some(Value::Nil) => std::thread::available_parallelism().map_or(1, |n| n.get()) as i64,
        Some(v) => value::expect_int(v, &a.func(), "the number of processes")?,
    };
    if !(1..=1024).contains(&n) {
        return Err(ErrorObj::new(
            ErrorKind::ValueError,
            format!("pool(): the number of processes must be 1 to 1024, not {n}"),
        ));
    }
    Ok(Value::Handle(Handle::Pool(pool::new(interp, n as usize)?)))
}

fn new_lock(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 0, &[])?;
    process::start(interp);
    Ok(Value::Handle(Handle::Lock(Lock::new()?)))
}

fn new_sem(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 1, &["value"])?;
    let n = match a.opt(0, "value") {
        None => 1,
        Some(v) => value::expect_int(v, &a.func(), "the initial value")?,
    };
    let n = u32::try_from(n).map_err(|_| {
        ErrorObj::new(
            ErrorKind::ValueError,
            format!("sem(): the initial value must be between 0 and {}, not {n}", u32::MAX),
        )
    })?;
    process::start(interp);
    Ok(Value::Handle(Handle::Sem(Sem::new(n)?)))
}

fn new_event(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 0, &[])?;
    process::start(interp);
    Ok(Value::Handle(Handle::Event(Event::new()?)))
}

fn new_queue(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 1, &["maxsize"])?;
    let max = match a.opt(0, "maxsize") {
        None | Some(Value::Nil) => 0,
        Some(v) => value::expect_int(v, &a.name, "maxsize")?,
    };
    // Python: maxsize <= 0 means unbounded.
    let max = u32::try_from(max.max(0)).map_err(|_| {
        ErrorObj::new(ErrorKind::ValueError, format!("queue(): maxsize must be at most {}, not {max}", u32::MAX))
    })?;
    process::start(interp);
    Ok(Value::Handle(Handle::Queue(Queue::new(max)?)))
}

/// `pipe(duplex=true)`: `[a, b]`; one-way: `[write end, read end]`.
fn new_pipe(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 1, &["duplex"])?;
    let duplex = a.opt(0, "duplex").is_none_or(|v| v.truthy());
    process::start(interp);
    let (x, y) = pipe::new_pair(duplex)?;
    Ok(Value::list(vec![Value::Handle(Handle::Pipe(x)), Value::Handle(Handle::Pipe(y))]))
}

fn new_shared(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(1, 1, &[])?;
    process::start(interp);
    Ok(Value::Handle(Handle::Shared(Shared::new(a.get(0))?)))
}

/// Which primitive a `lock EXPR { }` / `sem EXPR { }` block takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Guard {
    Lock,
    Sem,
}

/// What `guard_exit` needs to release what `guard_enter` took.
pub enum GuardToken {
    Lock(Lock),
    Sem(Sem),
}

/// `lock EXPR { }` / `sem EXPR { }`: take the primitive before the block.
pub fn guard_enter(interp: &mut (impl Host + ?Sized), kind: Guard, obj: &Value, span: Span) -> R<GuardToken> {
    match (kind, obj) {
        (Guard::Lock, Value::Handle(Handle::Lock(l))) => {
            l.acquire(interp, None, true, span)?;
            Ok(GuardToken::Lock(*l))
        }
        (Guard::Lock, Value::Handle(Handle::Shared(d))) => {
            let l = d.own_lock();
            l.acquire(interp, None, true, span)?;
            Ok(GuardToken::Lock(l))
        }
        (Guard::Sem, Value::Handle(Handle::Sem(s))) => {
            s.acquire(interp, None, true, span)?;
            Ok(GuardToken::Sem(*s))
        }
        _ => {
            let what = if kind == Guard::Lock { "lock" } else { "sem" };
            Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("`{what} … {{ }}` needs a {what}, not {}", value::type_name(obj)),
            ))
        }
    }
}

pub fn guard_exit(interp: &mut (impl Host + ?Sized), token: GuardToken) -> R<()> {
    match token {
        GuardToken::Lock(l) => l.release(interp),
        GuardToken::Sem(s) => s.release(),
    }
}

fn timeout_arg(a: &Args, pos: usize) -> R<Option<f64>> {
    match a.opt(pos, "timeout") {
        None | Some(Value::Nil) => Ok(None),
        Some(v) => wait::timeout_secs(value::expect_float(v, &a.func(), "timeout")?, &a.func()),
    }
}

/// The fields a script can read on a handle (`p.name`), for the hint
/// when one is called like a method (`p.name()`).
fn fields_of(h: &Handle) -> &'static [&'static str] {
    match h {
        Handle::Process(_) => &["pid", "name", "daemon", "exitcode"],
        Handle::Queue(_) => &["maxsize"],
        Handle::Pool(_) => &["size", "pids"],
        Handle::Shared(_) => &["value"],
        _ => &[],
    }
}

/// `h.name(…)` where the handle has no such method.
pub fn no_method(h: &Handle, name: &str) -> Box<ErrorObj> {
    let what = h.type_name();
    if fields_of(h).contains(&name) {
        return ErrorObj::new(ErrorKind::TypeError, format!("`{name}` is a field of a {what}, not a method"))
            .with_help(format!("read it without parentheses: `.{name}`"));
    }
    ErrorObj::new(ErrorKind::AttributeError, format!("{what} has no method `{name}`"))
}

pub fn call_method(interp: &mut (impl Host + ?Sized), h: &Handle, name: &str, a: &mut Args) -> R<Value> {
    // One small function per kind: the hot ones (lock, sem, queue) do not
    // pay for the stack frame of the others.
    match h {
        Handle::Process(p) => process_method(interp, p, name, a),
        Handle::Lock(l) => lock_method(interp, l, name, a),
        Handle::Sem(s) => sem_method(interp, s, name, a),
        Handle::Event(e) => event_method(interp, e, name, a),
        Handle::Queue(q) => queue_method(interp, q, name, a),
        Handle::Pipe(p) => pipe_method(interp, p, name, a),
        Handle::Pool(p) => pool::method(interp, p, name, a),
        Handle::AsyncResult(r) => pool::result_method(interp, r, name, a),
        Handle::Shared(d) => match name {
            "snapshot" => {
                a.check(0, 0, &[])?;
                d.snapshot()
            }
            "value" => Err(no_method(h, name)),
            _ => d.method(interp, name, a),
        },
    }
}

#[inline(never)]
fn process_method(interp: &mut (impl Host + ?Sized), p: &Rc<ProcessHandle>, name: &str, a: &mut Args) -> R<Value> {
    match name {
        "join" => {
            a.check(0, 1, &["timeout"])?;
            let timeout = timeout_arg(a, 0)?;
            // A waiting point: due pool callbacks run before and after it.
            if !interp.rt.pools.is_empty() {
                pool::service(interp)?;
            }
            process::join(interp, p, timeout, a.span)?;
            if !interp.rt.pools.is_empty() {
                pool::service(interp)?;
            }
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
        _ => Err(no_method(&Handle::Process(p.clone()), name)),
    }
}

fn lock_method(interp: &mut (impl Host + ?Sized), l: &Lock, name: &str, a: &mut Args) -> R<Value> {
    match name {
        "acquire" => {
            let (timeout, block) = acquire_args(a)?;
            Ok(Value::Bool(l.acquire(interp, timeout, block, a.span)?))
        }
        "release" => {
            a.check(0, 0, &[])?;
            l.release(interp).map(|_| Value::Nil)
        }
        "locked" => {
            a.check(0, 0, &[])?;
            Ok(Value::Bool(l.owner().is_some()))
        }
        _ => Err(no_method(&Handle::Lock(*l), name)),
    }
}

fn sem_method(interp: &mut (impl Host + ?Sized), s: &Sem, name: &str, a: &mut Args) -> R<Value> {
    match name {
        "acquire" => {
            let (timeout, block) = acquire_args(a)?;
            Ok(Value::Bool(s.acquire(interp, timeout, block, a.span)?))
        }
        "release" => {
            a.check(0, 0, &[])?;
            s.release().map(|_| Value::Nil)
        }
        "value" => {
            a.check(0, 0, &[])?;
            Ok(Value::Int(s.value() as i64))
        }
        _ => Err(no_method(&Handle::Sem(*s), name)),
    }
}

#[inline(never)]
fn event_method(interp: &mut (impl Host + ?Sized), e: &Event, name: &str, a: &mut Args) -> R<Value> {
    match name {
        // Traced first, so the set shows before the waiters wake.
        "set" => {
            trace::op(interp, "event set", a.span);
            e.set();
        }
        "clear" => {
            trace::op(interp, "event clear", a.span);
            e.clear();
        }
        "is_set" => {
            a.check(0, 0, &[])?;
            return Ok(Value::Bool(e.is_set()));
        }
        "wait" => {
            a.check(0, 1, &["timeout"])?;
            let timeout = timeout_arg(a, 0)?;
            return Ok(Value::Bool(e.wait(interp, timeout, a.span)?));
        }
        _ => return Err(no_method(&Handle::Event(*e), name)),
    }
    a.check(0, 0, &[])?;
    Ok(Value::Nil)
}

thread_local! {
    /// Queues this process closed (`q.close()`), with the pid that closed
    /// them: a forked child starts with none closed.
    static CLOSED_QUEUES: std::cell::RefCell<Vec<(i32, u64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn queue_closed_here(q: &Queue) -> bool {
    let me = process::my_pid();
    CLOSED_QUEUES.with(|c| c.borrow().contains(&(me, q.id())))
}

fn queue_method(interp: &mut (impl Host + ?Sized), q: &Queue, name: &str, a: &mut Args) -> R<Value> {
    let nowait = name.ends_with("_nowait");
    match name {
        "put" | "put_nowait" if queue_closed_here(q) => Err(ErrorObj::new(
            ErrorKind::ValueError,
            "the queue is closed: this process called close() and can put no more",
        )
        .with_help("close() means this process is done putting; other processes can still use the queue")),
        // Python's close(): this process puts no more. There is no feeder
        // thread here (put has written the item when it returns), so
        // join_thread() has nothing to wait for and cancel_join_thread()
        // nothing to give up: no item is ever lost when a process ends.
        "close" => {
            a.check(0, 0, &[])?;
            let id = (process::my_pid(), q.id());
            CLOSED_QUEUES.with(|c| {
                let mut c = c.borrow_mut();
                if !c.contains(&id) {
                    c.push(id);
                }
            });
            Ok(Value::Nil)
        }
        "join_thread" => {
            a.check(0, 0, &[])?;
            if !queue_closed_here(q) {
                return Err(ErrorObj::new(ErrorKind::ValueError, "join_thread() of a queue that is not closed")
                    .with_help("call q.close() first, as in Python"));
            }
            Ok(Value::Nil)
        }
        "cancel_join_thread" => {
            a.check(0, 0, &[])?;
            Ok(Value::Nil)
        }
        "put" | "put_nowait" => {
            let (timeout, block) = if nowait {
                a.check(1, 1, &[])?;
                (None, false)
            } else {
                a.check(1, 3, &["block", "timeout"])?;
                (timeout_arg(a, 2)?, a.opt(1, "block").is_none_or(|v| v.truthy()))
            };
            let put = value::wire::with_buffer(|bytes| {
                value::wire::encode_into(interp.codec(), a.get(0), bytes)?;
                q.put(interp, bytes, block, timeout, a.span)
            });
            put.map(|_| Value::Nil)
        }
        "get" | "get_nowait" => {
            let (timeout, block) = if nowait {
                a.check(0, 0, &[])?;
                (None, false)
            } else {
                acquire_args(a)?
            };
            let item = q.get_item(interp, block, timeout, a.span)?;
            value::wire::decode(interp.codec_mut(), &item)
        }
        "qsize" | "empty" | "full" | "task_done" => {
            a.check(0, 0, &[])?;
            Ok(match name {
                "qsize" => Value::Int(q.qsize() as i64),
                "empty" => Value::Bool(q.empty()),
                "full" => Value::Bool(q.full()),
                _ => q.task_done().map(|_| Value::Nil)?,
            })
        }
        "join" => {
            a.check(0, 1, &["timeout"])?;
            let timeout = timeout_arg(a, 0)?;
            let done = q.join(interp, timeout, a.span)?;
            Ok(if timeout.is_some() { Value::Bool(done) } else { Value::Nil })
        }
        _ => Err(no_method(&Handle::Queue(*q), name)),
    }
}

fn pipe_method(interp: &mut (impl Host + ?Sized), p: &PipeEnd, name: &str, a: &mut Args) -> R<Value> {
    match name {
        "send" => {
            a.check(1, 1, &[])?;
            value::wire::with_buffer(|bytes| {
                value::wire::encode_into(interp.codec(), a.get(0), bytes)?;
                p.send(interp, bytes, a.span)
            })
            .map(|_| Value::Nil)
        }
        "recv" => {
            a.check(0, 0, &[])?;
            let bytes = p.recv(interp, a.span)?;
            value::wire::decode(interp.codec_mut(), &bytes)
        }
        "poll" => {
            a.check(0, 1, &["timeout"])?;
            // Python: poll() with no timeout does not wait.
            let timeout = timeout_arg(a, 0)?.or(if a.opt(0, "timeout").is_some() { None } else { Some(0.0) });
            Ok(Value::Bool(p.poll(interp, timeout, a.span)?))
        }
        "close" => {
            a.check(0, 0, &[])?;
            p.close();
            Ok(Value::Nil)
        }
        "closed" => {
            a.check(0, 0, &[])?;
            Ok(Value::Bool(p.is_closed()))
        }
        _ => Err(no_method(&Handle::Pipe(p.clone()), name)),
    }
}

/// `acquire(block=true, timeout=nil)`, also `acquire(false)`, `acquire(timeout=1.0)`.
fn acquire_args(a: &Args) -> R<(Option<f64>, bool)> {
    if a.pos.is_empty() && a.kw.is_empty() {
        return Ok((None, true)); // the common `acquire()`
    }
    a.check(0, 2, &["block", "timeout"])?;
    let block = a.opt(0, "block").is_none_or(|v| v.truthy());
    Ok((timeout_arg(a, 1)?, block))
}

pub fn field_get(interp: &mut (impl Host + ?Sized), h: &Handle, name: &str) -> R<Value> {
    match h {
        Handle::Shared(d) if name == "value" => d.snapshot(),
        Handle::Queue(q) if name == "maxsize" => Ok(Value::Int(q.maxsize() as i64)),
        Handle::Pool(p) => pool::field(p, name).map_err(|_| no_field(h, name)),
        Handle::Lock(_)
        | Handle::Sem(_)
        | Handle::Event(_)
        | Handle::Shared(_)
        | Handle::Queue(_)
        | Handle::Pipe(_)
        | Handle::AsyncResult(_) => Err(no_field(h, name)),
        Handle::Process(p) => Ok(match name {
            "pid" => Value::Int(p.pid as i64),
            "name" => Value::str(&p.name.borrow()),
            "daemon" => Value::Bool(p.daemon),
            "exitcode" => process::exitcode(interp, p).map_or(Value::Nil, |c| Value::Int(c as i64)),
            _ => return Err(no_field(h, name)),
        }),
    }
}

/// `h.name` where the handle has no such field; a hint if it is a method.
pub fn no_field(h: &Handle, name: &str) -> Box<ErrorObj> {
    let methods: &[&str] = match h {
        Handle::Process(_) => &["join", "is_alive", "terminate", "kill"],
        Handle::Lock(_) => &["acquire", "release", "locked"],
        Handle::Sem(_) => &["acquire", "release", "value"],
        Handle::Event(_) => &["set", "clear", "is_set", "wait"],
        Handle::Queue(_) => &["get", "put", "qsize", "empty", "full", "task_done", "join", "close"],
        Handle::Pipe(_) => &["send", "recv", "poll", "close", "closed"],
        Handle::Pool(_) => &["map", "starmap", "apply", "apply_async", "map_async", "close", "join", "terminate"],
        Handle::AsyncResult(_) => &["get", "wait", "ready", "successful"],
        Handle::Shared(_) => &["snapshot", "keys", "values", "items"],
    };
    let e = ErrorObj::new(ErrorKind::AttributeError, format!("{} has no field `{name}`", h.type_name()));
    match methods.contains(&name) {
        true => e.with_help(format!("`{name}` is a method: call it, `.{name}()`")),
        false => e,
    }
}

pub fn field_set(interp: &mut (impl Host + ?Sized), h: &Handle, name: &str, v: Value) -> R<()> {
    match h {
        Handle::Process(p) => match name {
            "name" => {
                let s = value::expect_str(&v, "process.name", "the name")?;
                *p.name.borrow_mut() = s.to_string();
                if p.pid == process::my_pid() {
                    // `current_process().name = …` renames this process.
                    interp.process.name = s.to_string();
                    table::set_name_at(interp.rt.slot, &s);
                    trace::renamed(p.pid, &s);
                }
                if p.parent == std::process::id() as i32 && p.exitcode.get().is_none() {
                    table::set_name_at(p.slot, &s);
                    trace::renamed(p.pid, &s);
                }
                Ok(())
            }
            "pid" | "exitcode" | "daemon" => {
                Err(ErrorObj::new(ErrorKind::AttributeError, format!("process.{name} is read-only")))
            }
            _ => Err(ErrorObj::new(ErrorKind::AttributeError, format!("process has no field `{name}`"))),
        },
        Handle::Shared(d) if name == "value" => d.set(&v),
        _ => Err(ErrorObj::new(ErrorKind::AttributeError, format!("cannot set field `{name}` of {}", h.type_name()))),
    }
}

pub fn index_get(h: &Handle, index: &Value) -> R<Value> {
    if let Handle::Shared(d) = h {
        return d.index_get(index);
    }
    Err(ErrorObj::new(ErrorKind::TypeError, format!("{} cannot be indexed", h.type_name())))
}

pub fn index_set(h: &Handle, index: &Value, v: Value) -> R<()> {
    if let Handle::Shared(d) = h {
        return d.index_set(index, v);
    }
    Err(ErrorObj::new(ErrorKind::TypeError, format!("{} does not support item assignment", h.type_name())))
}

pub fn iterate(h: &Handle) -> R<Vec<Value>> {
    if let Handle::Shared(d) = h {
        return d.items();
    }
    Err(ErrorObj::new(ErrorKind::TypeError, format!("cannot loop over {}", h.type_name())))
}

pub fn len(h: &Handle) -> R<Value> {
    if let Handle::Shared(d) = h {
        return Ok(Value::Int(d.length()? as i64));
    }
    Err(ErrorObj::new(ErrorKind::TypeError, format!("len() of {} is not defined", h.type_name())))
}

/// `needle in h`.
pub fn contains(h: &Handle, needle: &Value) -> R<bool> {
    match h {
        Handle::Shared(d) => d.contains(needle),
        _ => Err(ErrorObj::new(
            ErrorKind::TypeError,
            format!("`in` needs a list, dict, str or range, not {}", h.type_name()),
        )),
    }
}

/// `sleep(secs)`.
/// A waiting point: due pool callbacks run before and after it.
pub fn sleep(interp: &mut (impl Host + ?Sized), secs: f64) -> R<()> {
    pool::service(interp)?;
    wait::sleep(interp, secs)?;
    pool::service(interp)
}

/// Act on pending signals: Ctrl-C, and handlers registered with `signal()`.
/// Called at safe points: loop turns, calls, interrupted waits.
pub fn safe_point(interp: &mut (impl Host + ?Sized)) -> R<()> {
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
            None if sig == libc::SIGINT || sig == libc::SIGTERM || sig == libc::SIGHUP => {
                if interp.rt.is_child {
                    // A child ends quietly; its parent reports.
                    signals::set_default(sig);
                    process::terminate_all(interp);
                    // SAFETY: re-raise with the default action: die by the signal.
                    unsafe { libc::raise(sig) };
                }
                // The main process ends its children rather than joining them.
                interp.rt.interrupted = true;
                let message = match sig {
                    libc::SIGINT => "interrupted (Ctrl-C)".to_string(),
                    other => format!("ended by {}", signals::name(other)),
                };
                let mut e = ErrorObj::new(ErrorKind::KeyboardInterrupt, message);
                if sig != libc::SIGINT {
                    e.exit = None;
                    e.kind = ErrorKind::Terminated;
                }
                return Err(e);
            }
            None => {}
        }
    }
    Ok(())
}

/// `:ps`: every live process of the program, what it is doing or waits
/// on, and which locks it holds.
pub fn ps_report(interp: &(impl Host + ?Sized)) -> String {
    let entries = table::snapshot();
    if entries.len() <= 1 && interp.rt.children.is_empty() && entries.iter().all(|e| e.held.is_empty()) {
        return "no child processes\n".into();
    }
    let mut out = format!("{:<8} {:<8} {:<20} {}\n", "PID", "PPID", "NAME", "STATE");
    for e in entries {
        let state = match (e.state, &e.wait) {
            (table::State::Waiting, Some(w)) => {
                let place = interp.sources.location(w.span);
                let what = deadlock::what(interp, w.kind, w.span);
                let mut s = format!("waiting for {what} at {place}{}", if w.timed { " (with timeout)" } else { "" });
                let holder = match w.kind {
                    // SAFETY: a lock wait records the lock's id as its object.
                    table::WaitKind::Lock => unsafe { lock::holder_of(w.obj) },
                    _ => None,
                };
                if let Some((owner, _)) = holder {
                    s.push_str(&format!(", held by {}", lock::describe_pid(owner)));
                }
                s
            }
            (table::State::Exited, _) => format!("exited with code {} (not yet joined)", e.exitcode),
            (table::State::Sleeping, _) => "sleeping".into(),
            _ => "running".into(),
        };
        let daemon = if e.daemon { " [daemon]" } else { "" };
        out.push_str(&format!("{:<8} {:<8} {:<20} {state}{daemon}\n", e.pid, e.ppid, e.name));
        for id in e.held {
            // The lock may have been released since the snapshot.
            // SAFETY: only `Lock::acquire` records held ids, and they are lock ids.
            let Some((owner, taken)) = unsafe { lock::holder_of(id) }.filter(|(owner, _)| *owner == e.pid) else {
                continue;
            };
            let _ = owner;
            let name = deadlock::target_name(interp, taken).map_or_else(|| format!("#{id}"), |n| format!("`{n}`"));
            out.push_str(&format!("{:<38} holds lock {name} (taken at {})\n", "", interp.sources.location(taken)));
        }
    }
    out
}
