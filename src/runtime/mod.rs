//! The OS-level layer: processes and process-shared primitives, one module
//! each, below the evaluator. It knows syntax only as positions (`Span`,
//! rendered through the source map in its `Ctx`) and method and field
//! names (`Member`, interned by the parser), and never imports the
//! evaluator, the resolver or the builtins: what it needs of them is the
//! `Host` trait (`host.rs`) — its own state (`Ctx`) plus "call this script
//! function", which only signal handlers, pool callbacks and workers, and
//! methods of a shared object's list or dict use. The evaluator calls in
//! through the functions below, which dispatch on the handle's kind to that
//! kind's own `call_method` and `TABLE`, in its own file (see `Table`).

pub mod barrier;
pub mod command;
pub mod condition;
pub mod deadlock;
pub mod event;
pub mod explore;
pub mod fdpass;
pub mod futex;
pub mod guardian;
pub mod host;
pub mod lock;
pub mod output;
pub mod pipe;
pub mod pool;
pub mod process;
pub mod queue;
pub mod remote;
pub mod rlock;
pub mod sem;
pub mod shared;
pub mod shm;
pub mod signals;
pub mod socket;
pub mod table;
pub mod thread;
pub mod timeline;
pub mod trace;
pub mod wait;

use crate::diagnostics::{ErrorKind, ErrorObj, Place, PLACE};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{self, Args, BuiltinFn, Value};
use barrier::Barrier;
use condition::{CondLock, Condition};
use event::Event;
use lock::Lock;
use pipe::PipeEnd;
use process::ProcessHandle;
use queue::Queue;
use rlock::RLock;
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
    RLock(RLock),
    Sem(Sem),
    Event(Event),
    Condition(Condition),
    Barrier(Barrier),
    Shared(Shared),
    Queue(Queue),
    Pipe(PipeEnd),
    /// Local to the process that made it (see pool/).
    Pool(Rc<pool::Pool>),
    AsyncResult(Rc<pool::AsyncResult>),
    /// A TCP socket: this process's descriptor (see socket.rs).
    Socket(Rc<socket::Socket>),
    /// A connection to a Redis server (`manager(url)`), and what lives there.
    Manager(Rc<remote::Manager>),
    RemoteQueue(Rc<remote::queue::RemoteQueue>),
    RemoteDict(Rc<remote::dict::RemoteDict>),
    /// A thread of this process (see thread.rs).
    Thread(Rc<thread::ThreadRec>),
    /// `local()`: per-thread attributes.
    Local(Rc<thread::Local>),
    /// `p.imap(…)` / `p.imap_unordered(…)`: results one at a time.
    Results(Rc<pool::ResultIter>),
}

impl PartialEq for Handle {
    fn eq(&self, other: &Handle) -> bool {
        match (self, other) {
            (Handle::Process(a), Handle::Process(b)) => a.pid == b.pid,
            (Handle::Lock(a), Handle::Lock(b)) => a == b,
            (Handle::RLock(a), Handle::RLock(b)) => a == b,
            (Handle::Condition(a), Handle::Condition(b)) => a == b,
            (Handle::Barrier(a), Handle::Barrier(b)) => a == b,
            (Handle::Results(a), Handle::Results(b)) => Rc::ptr_eq(a, b),
            (Handle::Sem(a), Handle::Sem(b)) => a == b,
            (Handle::Event(a), Handle::Event(b)) => a == b,
            (Handle::Shared(a), Handle::Shared(b)) => a == b,
            (Handle::Queue(a), Handle::Queue(b)) => a == b,
            (Handle::Pipe(a), Handle::Pipe(b)) => a == b,
            (Handle::Pool(a), Handle::Pool(b)) => Rc::ptr_eq(a, b),
            (Handle::AsyncResult(a), Handle::AsyncResult(b)) => Rc::ptr_eq(a, b),
            (Handle::Socket(a), Handle::Socket(b)) => Rc::ptr_eq(a, b),
            (Handle::Manager(a), Handle::Manager(b)) => Rc::ptr_eq(a, b),
            (Handle::RemoteQueue(a), Handle::RemoteQueue(b)) => Rc::ptr_eq(a, b),
            (Handle::RemoteDict(a), Handle::RemoteDict(b)) => Rc::ptr_eq(a, b),
            (Handle::Thread(a), Handle::Thread(b)) => Rc::ptr_eq(a, b),
            (Handle::Local(a), Handle::Local(b)) => Rc::ptr_eq(a, b),
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
            Handle::RLock(r) => match r.owner() {
                Some(pid) => format!("<rlock #{} held by pid {pid} ×{}>", r.id(), r.depth()),
                None => format!("<rlock #{} free>", r.id()),
            },
            Handle::Condition(c) => format!("<condition #{} {} waiting>", c.id(), c.waiting()),
            Handle::Barrier(b) => b.describe(),
            Handle::Results(r) => r.describe(),
            Handle::Sem(s) => format!("<sem #{} value={}>", s.id(), s.value()),
            Handle::Event(e) => format!("<event #{} {}>", e.id(), if e.is_set() { "set" } else { "clear" }),
            Handle::Shared(s) => s.describe(),
            Handle::Queue(q) => q.describe(),
            Handle::Pipe(p) => p.describe(),
            Handle::Pool(p) => p.describe(),
            Handle::AsyncResult(r) => r.describe(),
            Handle::Socket(s) => s.describe(),
            Handle::Manager(m) => m.describe(),
            Handle::RemoteQueue(q) => q.describe(),
            Handle::RemoteDict(d) => d.describe(),
            Handle::Thread(t) => t.describe(),
            Handle::Local(_) => "<local>".into(),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Handle::Process(_) => "process",
            Handle::Lock(_) => "lock",
            Handle::RLock(_) => "rlock",
            Handle::Condition(_) => "condition",
            Handle::Barrier(_) => "barrier",
            Handle::Results(_) => "result iterator",
            Handle::Sem(_) => "sem",
            Handle::Event(_) => "event",
            Handle::Shared(_) => "shared",
            Handle::Queue(_) => "queue",
            Handle::Pipe(_) => "pipe end",
            Handle::Pool(_) => "pool",
            Handle::AsyncResult(_) => "async result",
            Handle::Socket(_) => "socket",
            Handle::Manager(_) => "remote manager",
            Handle::RemoteQueue(_) => "remote queue",
            Handle::RemoteDict(_) => "remote dict",
            Handle::Thread(_) => "thread",
            Handle::Local(_) => "local",
        }
    }
}

/// Constructors of primitives, defined as globals (`lock l` is `let l = lock()`).
pub const CONSTRUCTORS: &[(&str, BuiltinFn)] = &[
    ("lock", new_lock),
    ("rlock", new_rlock),
    ("sem", new_sem),
    ("event", new_event),
    ("condition", new_condition),
    ("barrier", new_barrier),
    ("queue", new_queue),
    ("pipe", new_pipe),
    ("pool", new_pool),
    ("shared", new_shared),
    ("manager", remote::new_manager),
];

/// `pool(processes=cpu_count(), initializer=nil, initargs=[], maxtasksperchild=nil)`.
fn new_pool(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 4, &["processes", "initializer", "initargs", "maxtasksperchild"])?;
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
    let initializer = match a.opt(1, "initializer") {
        None | Some(Value::Nil) => None,
        Some(f @ (Value::Func(_) | Value::Native(_))) => Some(f.clone()),
        Some(other) => {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("pool(): the initializer must be a function, not {}", value::type_name(other)),
            ))
        }
    };
    let initargs = match a.opt(2, "initargs") {
        None | Some(Value::Nil) => Vec::new(),
        Some(v) => value::items_of(v, "pool")?,
    };
    let maxtasks = match a.opt(3, "maxtasksperchild") {
        None | Some(Value::Nil) => None,
        Some(v) => match value::expect_int(v, &a.func(), "maxtasksperchild")? {
            k if k >= 1 => Some(k as u64),
            k => {
                return Err(ErrorObj::new(
                    ErrorKind::ValueError,
                    format!("pool(): maxtasksperchild must be a positive number or nil, not {k}"),
                ))
            }
        },
    };
    let setup = pool::Setup { initializer, initargs, maxtasks };
    Ok(Value::Handle(Handle::Pool(pool::new(interp, n as usize, setup)?)))
}

fn new_lock(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 0, &[])?;
    process::start(interp);
    Ok(Value::Handle(Handle::Lock(Lock::new()?)))
}

fn new_rlock(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 0, &[])?;
    process::start(interp);
    Ok(Value::Handle(Handle::RLock(RLock::new()?)))
}

/// `condition(lock=nil)`: over a `lock` or `rlock`; a new rlock by default (as Python).
fn new_condition(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 1, &["lock"])?;
    process::start(interp);
    let lock = match a.opt(0, "lock") {
        None | Some(Value::Nil) => CondLock::RLock(RLock::new()?),
        Some(Value::Handle(Handle::Lock(l))) => CondLock::Lock(*l),
        Some(Value::Handle(Handle::RLock(r))) => CondLock::RLock(*r),
        Some(other) => {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("condition(): the lock must be a lock or an rlock, not {}", value::type_name(other)),
            ))
        }
    };
    let cap = interp.rt.max_procs.max(1) as u32 + 1;
    Ok(Value::Handle(Handle::Condition(Condition::new(lock, cap)?)))
}

/// `barrier(parties, timeout=nil)`.
fn new_barrier(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 2, &["parties", "timeout"])?;
    let Some(n) = a.opt(0, "parties") else {
        return Err(ErrorObj::new(ErrorKind::TypeError, "barrier() needs the number of parties: barrier(3)"));
    };
    let n = value::expect_int(n, &a.func(), "the number of parties")?;
    if !(1..=barrier::MAX_PARTIES).contains(&n) {
        return Err(ErrorObj::new(
            ErrorKind::ValueError,
            format!("barrier(): the number of parties must be 1 to {}, not {n}", barrier::MAX_PARTIES),
        ));
    }
    let timeout = timeout_arg(a, 1)?;
    process::start(interp);
    Ok(Value::Handle(Handle::Barrier(Barrier::new(n as u32, timeout)?)))
}

fn new_sem(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 2, &["value", "bounded"])?;
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
    let bounded = a.opt(1, "bounded").is_some_and(|v| v.truthy());
    process::start(interp);
    Ok(Value::Handle(Handle::Sem(Sem::new(n, bounded)?)))
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
    RLock(RLock),
    Sem(Sem),
    Remote(Rc<remote::dict::RemoteDict>),
}

/// `lock EXPR { }` / `sem EXPR { }`: take the primitive before the block.
pub fn guard_enter(interp: &mut (impl Host + ?Sized), kind: Guard, obj: &Value, span: Span) -> R<GuardToken> {
    explore::point(interp)?;
    match (kind, obj) {
        (Guard::Lock, Value::Handle(Handle::Lock(l))) => {
            l.acquire(interp, None, true, span)?;
            Ok(GuardToken::Lock(*l))
        }
        (Guard::Lock, Value::Handle(Handle::RLock(r))) => {
            r.acquire(interp, None, true, span)?;
            Ok(GuardToken::RLock(*r))
        }
        // `lock c { }` takes a condition's lock.
        (Guard::Lock, Value::Handle(Handle::Condition(c))) => match c.lock() {
            CondLock::Lock(l) => {
                l.acquire(interp, None, true, span)?;
                Ok(GuardToken::Lock(l))
            }
            CondLock::RLock(r) => {
                r.acquire(interp, None, true, span)?;
                Ok(GuardToken::RLock(r))
            }
        },
        (Guard::Lock, Value::Handle(Handle::Shared(d))) => {
            let l = d.own_lock();
            l.acquire(interp, None, true, span)?;
            Ok(GuardToken::Lock(l))
        }
        (Guard::Lock, Value::Handle(Handle::RemoteDict(d))) => {
            d.lock(interp, span)?;
            Ok(GuardToken::Remote(d.clone()))
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
    explore::point(interp)?;
    match token {
        GuardToken::Lock(l) => l.release(interp),
        GuardToken::RLock(r) => r.release(interp),
        GuardToken::Sem(s) => s.release(),
        GuardToken::Remote(d) => d.unlock(),
    }
}

/// What a script can call on one kind of handle (`methods`) and read from
/// it (`fields`). Each primitive's file declares its `TABLE` beside its
/// `call_method`, which dispatches on the `Member` the parser interned; the
/// lists give the hints "`x` is a field, not a method" and the reverse.
pub struct Table {
    pub methods: &'static [Member],
    pub fields: &'static [Member],
}

impl Handle {
    /// The table of this kind of handle.
    pub fn table(&self) -> &'static Table {
        match self {
            Handle::Process(_) => &process::TABLE,
            Handle::Lock(_) => &lock::TABLE,
            Handle::Sem(_) => &sem::TABLE,
            Handle::Event(_) => &event::TABLE,
            Handle::Shared(_) => &shared::TABLE,
            Handle::Queue(_) => &queue::TABLE,
            Handle::Pipe(_) => &pipe::TABLE,
            Handle::Pool(_) => &pool::TABLE,
            Handle::AsyncResult(_) => &pool::RESULT_TABLE,
            Handle::Socket(_) => &socket::TABLE,
            Handle::Manager(_) => &remote::TABLE,
            Handle::RemoteQueue(_) => &remote::queue::TABLE,
            Handle::RemoteDict(_) => &remote::dict::TABLE,
            Handle::Thread(_) => &thread::TABLE,
            Handle::Local(_) => &thread::LOCAL_TABLE,
            Handle::RLock(_) => &rlock::TABLE,
            Handle::Condition(_) => &condition::TABLE,
            Handle::Barrier(_) => &barrier::TABLE,
            Handle::Results(_) => &pool::RESULTS_TABLE,
        }
    }
}

/// `h.name(args)`: the handle kind's own `call_method`.
pub fn call_method(interp: &mut (impl Host + ?Sized), h: &Handle, m: &Member, a: &mut Args) -> R<Value> {
    match h {
        Handle::Process(p) => process::call_method(interp, p, m, a),
        Handle::Lock(l) => lock::call_method(interp, l, m, a),
        Handle::Sem(s) => sem::call_method(interp, s, m, a),
        Handle::Event(e) => event::call_method(interp, e, m, a),
        Handle::Queue(q) => queue::call_method(interp, q, m, a),
        Handle::Pipe(p) => pipe::call_method(interp, p, m, a),
        Handle::Pool(p) => pool::call_method(interp, p, m, a),
        Handle::AsyncResult(r) => pool::result_method(interp, r, m, a),
        Handle::Socket(s) => socket::call_method(interp, s, m, a),
        Handle::RLock(r) => rlock::call_method(interp, r, m, a),
        Handle::Condition(c) => condition::call_method(interp, c, m, a),
        Handle::Barrier(b) => barrier::call_method(interp, b, m, a),
        Handle::Results(r) => pool::results_method(interp, r, m, a),
        Handle::Shared(d) => shared::call_method(interp, d, m, a),
        Handle::Manager(mg) => remote::call_method(interp, mg, m, a),
        Handle::RemoteQueue(q) => remote::queue::call_method(interp, q, m, a),
        Handle::RemoteDict(d) => remote::dict::call_method(d, m, a),
        Handle::Thread(t) => thread::call_method(interp, t, m, a),
        Handle::Local(_) => Err(no_method(h, m)),
    }
}

/// `h.name`: the handle kind's own `field_get`, if it has fields.
pub fn field_get(interp: &mut (impl Host + ?Sized), h: &Handle, m: &Member) -> R<Value> {
    match h {
        Handle::Process(p) => process::field_get(interp, p, m),
        Handle::Queue(q) => queue::field_get(q, m),
        Handle::Pool(p) => pool::field_get(p, m),
        Handle::Shared(d) => shared::field_get(d, m),
        Handle::Socket(s) => socket::field_get(h, s, m),
        Handle::RemoteQueue(q) => remote::queue::field_get(q, m),
        Handle::Manager(_) | Handle::RemoteDict(_) => Err(no_field(h, m)),
        Handle::Thread(t) => thread::field_get(t, m).ok_or_else(|| no_field(h, m)),
        Handle::Local(l) => l.get(interp, m.as_str()),
        Handle::Barrier(b) => barrier::field_get(b, m),
        Handle::Lock(_)
        | Handle::RLock(_)
        | Handle::Condition(_)
        | Handle::Results(_)
        | Handle::Sem(_)
        | Handle::Event(_)
        | Handle::Pipe(_)
        | Handle::AsyncResult(_) => Err(no_field(h, m)),
    }
}

/// `h.name = v`.
pub fn field_set(interp: &mut (impl Host + ?Sized), h: &Handle, m: &Member, v: Value) -> R<()> {
    match h {
        Handle::Process(p) => process::field_set(interp, p, m, v),
        Handle::Shared(d) if *m == Member::Value => d.set(&v),
        Handle::Thread(t) => thread::field_set(interp, t, m, &v),
        Handle::Local(l) => {
            l.set(interp, m.as_str(), v);
            Ok(())
        }
        _ => Err(ErrorObj::new(ErrorKind::AttributeError, format!("cannot set field `{m}` of {}", h.type_name()))),
    }
}

/// `h.name(…)` where the handle has no such method.
pub fn no_method(h: &Handle, m: &Member) -> Box<ErrorObj> {
    let what = h.type_name();
    if h.table().fields.contains(m) {
        return ErrorObj::new(ErrorKind::TypeError, format!("`{m}` is a field of a {what}, not a method"))
            .with_help(format!("read it without parentheses: `.{m}`"));
    }
    ErrorObj::new(ErrorKind::AttributeError, format!("{what} has no method `{m}`"))
}

/// `h.name` where the handle has no such field; a hint if it is a method.
pub fn no_field(h: &Handle, m: &Member) -> Box<ErrorObj> {
    let e = ErrorObj::new(ErrorKind::AttributeError, format!("{} has no field `{m}`", h.type_name()));
    match h.table().methods.contains(m) {
        true => e.with_help(format!("`{m}` is a method: call it, `.{m}()`")),
        false => e,
    }
}

/// The `timeout=` argument at position `pos`: `None` waits for ever.
pub(crate) fn timeout_arg(a: &Args, pos: usize) -> R<Option<f64>> {
    match a.opt(pos, "timeout") {
        None | Some(Value::Nil) => Ok(None),
        Some(v) => wait::timeout_secs(value::expect_float(v, &a.func(), "timeout")?, &a.func()),
    }
}

/// `acquire(block=true, timeout=nil)`, also `acquire(false)`, `acquire(timeout=1.0)`.
pub(crate) fn acquire_args(a: &Args) -> R<(Option<f64>, bool)> {
    if a.pos.is_empty() && a.kw.is_empty() {
        return Ok((None, true)); // the common `acquire()`
    }
    a.check(0, 2, &["block", "timeout"])?;
    let block = a.opt(0, "block").is_none_or(|v| v.truthy());
    Ok((timeout_arg(a, 1)?, block))
}

pub fn index_get(h: &Handle, index: &Value) -> R<Value> {
    match h {
        Handle::Shared(d) => return d.index_get(index),
        Handle::RemoteDict(d) => return d.index_get(index),
        _ => {}
    }
    Err(ErrorObj::new(ErrorKind::TypeError, format!("{} cannot be indexed", h.type_name())))
}

pub fn index_set(h: &Handle, index: &Value, v: Value) -> R<()> {
    match h {
        Handle::Shared(d) => return d.index_set(index, v),
        Handle::RemoteDict(d) => return d.index_set(index, &v),
        _ => {}
    }
    Err(ErrorObj::new(ErrorKind::TypeError, format!("{} does not support item assignment", h.type_name())))
}

pub fn iterate(h: &Handle) -> R<Vec<Value>> {
    match h {
        Handle::Shared(d) => return d.items(),
        Handle::RemoteDict(d) => return Ok(d.pairs()?.into_iter().map(|(k, _)| k).collect()),
        _ => {}
    }
    if let Handle::Results(_) = h {
        return Err(ErrorObj::new(ErrorKind::TypeError, "a result iterator gives its results one at a time")
            .with_help("loop over it with `for x in it { … }`, or take one with it.next()"));
    }
    Err(ErrorObj::new(ErrorKind::TypeError, format!("cannot loop over {}", h.type_name())))
}

pub fn len(h: &Handle) -> R<Value> {
    match h {
        Handle::Shared(d) => return Ok(Value::Int(d.length()? as i64)),
        Handle::RemoteDict(d) => return Ok(Value::Int(d.len()?)),
        _ => {}
    }
    Err(ErrorObj::new(ErrorKind::TypeError, format!("len() of {} is not defined", h.type_name())))
}

/// `needle in h`.
pub fn contains(h: &Handle, needle: &Value) -> R<bool> {
    match h {
        Handle::Shared(d) => d.contains(needle),
        Handle::RemoteDict(d) => d.contains(needle),
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
    // A thread may have asked for the GIL; only the main thread acts on signals.
    if thread::switch_point(interp) {
        return Ok(());
    }
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
                    e.kind = ErrorKind::Terminated;
                    e.signal = Some(sig);
                }
                return Err(e);
            }
            None => {}
        }
    }
    Ok(())
}

/// `:ps`: every live process of the program, what it is doing or waits
/// on, and which locks it holds. The places it names stay data (`PLACE`
/// marks in the text): the REPL renders them with `diagnostics::fill`.
pub fn ps_report(interp: &(impl Host + ?Sized)) -> (String, Vec<Place>) {
    let entries = table::snapshot();
    let mut places = Vec::new();
    if entries.len() <= 1 && interp.rt.children.is_empty() && entries.iter().all(|e| e.held.is_empty()) {
        return ("no child processes\n".into(), places);
    }
    let mut out = format!("{:<8} {:<8} {:<20} {}\n", "PID", "PPID", "NAME", "STATE");
    for e in entries {
        let state = match (e.state, &e.wait) {
            (table::State::Waiting, Some(w)) => {
                let what = deadlock::what_placed(w.kind, w.span, &mut places);
                places.push(Place::Line(w.span));
                let mut s = format!("waiting for {what} at {PLACE}{}", if w.timed { " (with timeout)" } else { "" });
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
        let daemon = match (e.daemon, e.thread) {
            (true, true) => " [daemon thread]",
            (false, true) => " [thread]",
            (true, false) => " [daemon]",
            _ => "",
        };
        out.push_str(&format!("{:<8} {:<8} {:<20} {state}{daemon}\n", e.pid, e.ppid, e.name));
        for id in e.held {
            // The lock may have been released since the snapshot.
            // SAFETY: only `Lock::acquire` records held ids, and they are lock ids.
            let Some((_, taken)) = unsafe { lock::holder_of(id) }.filter(|(owner, _)| *owner == e.pid) else {
                continue;
            };
            places.push(Place::Target { span: taken, before: "", or: format!("#{id}") });
            places.push(Place::Line(taken));
            out.push_str(&format!("{:<38} holds lock {PLACE} (taken at {PLACE})\n", ""));
        }
    }
    (out, places)
}
