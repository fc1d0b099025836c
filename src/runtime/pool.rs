//! `pool`: N worker processes started once and reused (LANGUAGE.md §8).
//!
//! A pool belongs to the process that made it (its owner): the handle is a
//! local `Rc` holding the workers, two queues of `queue.rs` — tasks (owner →
//! workers) and results (workers → owner) — and the owner's bookkeeping of
//! pending jobs. Workers are daemon children looping on the task queue.
//!
//! Wire format (raw queue bytes, little-endian header then a wire message):
//! ```text
//! task     chunk id u32 | count u32 | wire [fn, star, [item, …]]
//!          (an item is the one argument, or with `star` the argument list)
//! result   chunk id u32 | wire [[value, …], [[index, kind, message, diagnostic], …]]
//! exit     empty bytes: the worker leaves
//! ```
//! A job (one map, one apply_async…) is split into chunks; results are put
//! back in order by (chunk id → job, first index). Each worker has a word
//! in the arena holding the chunk it is running (0: idle), written right
//! after taking it, so a worker that dies is known to have held that chunk:
//! the chunk fails with a ProcessError and a replacement worker is started.
//!
//! The owner stays single-threaded: results are drained and callbacks run
//! only at its waiting points (pool calls, `sleep`, `join`, program end).
//! The owner waits in short timed slices, so a pool wait never looks like a
//! deadlock; idle workers wait untimed, like any queue reader.

use super::process::{self, ProcessHandle};
use super::queue::Queue;
use super::shm::{self, Offset};
use super::{table, Handle};
use crate::diagnostics::{ErrorObj, Flow};
use crate::eval::Interp;
use crate::syntax::span::Span;
use crate::value::{self, wire, Args, Value};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::{Duration, Instant};

type R<T> = Result<T, Box<ErrorObj>>;

/// The longest single wait for a result before the owner looks at its workers.
const SLICE: Duration = Duration::from_millis(50);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Open,
    Closed,
    Terminated,
    Joined,
}

/// One call's worth of work: a map (many values) or an apply (one).
pub struct Job {
    single: bool,
    values: RefCell<Vec<Value>>,
    left: Cell<usize>,
    error: RefCell<Option<Box<ErrorObj>>>,
    done: Cell<bool>,
    callback: Option<Value>,
    error_callback: Option<Value>,
}

impl Job {
    fn new(single: bool, n: usize, callback: Option<Value>, error_callback: Option<Value>) -> Rc<Job> {
        Rc::new(Job {
            single,
            values: RefCell::new(vec![Value::Nil; n]),
            left: Cell::new(n),
            error: RefCell::new(None),
            done: Cell::new(n == 0),
            callback,
            error_callback,
        })
    }

    fn value(&self) -> Value {
        let values = self.values.borrow();
        match self.single {
            true => values.first().cloned().unwrap_or(Value::Nil),
            false => Value::list(values.clone()),
        }
    }

    /// The result, or the task's error raised again here.
    fn outcome(&self) -> R<Value> {
        match &*self.error.borrow() {
            Some(e) => Err(e.clone()),
            None => Ok(self.value()),
        }
    }
}

/// `r = p.apply_async(…)`: a result that may not have arrived yet.
#[derive(Debug)]
pub struct AsyncResult {
    pool: Rc<Pool>,
    job: Rc<Job>,
}

impl AsyncResult {
    pub fn describe(&self) -> String {
        let state = match (self.job.done.get(), self.job.error.borrow().is_some()) {
            (false, _) => "pending",
            (true, false) => "ready",
            (true, true) => "failed",
        };
        format!("<async result {state}>")
    }
}

pub struct Pool {
    owner: i32,
    size: usize,
    tasks: Queue,
    results: Queue,
    /// One `AtomicU32` per worker in the arena: the chunk it runs, 0 if idle.
    busy: Offset,
    workers: RefCell<Vec<Rc<ProcessHandle>>>,
    next_chunk: Cell<u32>,
    chunks: RefCell<HashMap<u32, (Rc<Job>, usize)>>,
    /// Finished jobs whose callback is still to run.
    ready: RefCell<VecDeque<Rc<Job>>>,
    status: Cell<Status>,
    last_check: Cell<Instant>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<job done={} left={}>", self.done.get(), self.left.get())
    }
}

impl Pool {
    pub fn describe(&self) -> String {
        let state = match self.status.get() {
            Status::Open => "open",
            Status::Closed => "closed",
            Status::Terminated | Status::Joined => "ended",
        };
        format!("<pool size={} {state}>", self.size)
    }

    fn busy_word(&self, index: usize) -> &AtomicU32 {
        busy_word(Offset(self.busy.0 + 4 * index as u32))
    }

    fn pids(&self) -> Value {
        Value::list(self.workers.borrow().iter().map(|w| Value::Int(w.pid as i64)).collect())
    }
}

fn busy_word<'a>(off: Offset) -> &'a AtomicU32 {
    // SAFETY: a word of the block allocated for the pool in `new`, which
    // lives as long as the arena; it is only used atomically.
    unsafe { &*shm::at::<AtomicU32>(off) }
}

/// `pool(n)`: start `n` workers.
pub fn new(interp: &mut Interp, size: usize) -> R<Rc<Pool>> {
    process::start(interp);
    let pool = Rc::new(Pool {
        owner: std::process::id() as i32,
        size,
        tasks: Queue::new(0)?,
        results: Queue::new(0)?,
        busy: shm::alloc(4 * size)?,
        workers: RefCell::new(Vec::with_capacity(size)),
        next_chunk: Cell::new(1),
        chunks: RefCell::new(HashMap::new()),
        ready: RefCell::new(VecDeque::new()),
        status: Cell::new(Status::Open),
        last_check: Cell::new(Instant::now()),
    });
    for i in 0..size {
        pool.busy_word(i).store(0, SeqCst);
        let w = match spawn_worker(interp, &pool, i) {
            Ok(w) => w,
            Err(e) => {
                let _ = terminate(interp, &pool);
                return Err(e);
            }
        };
        pool.workers.borrow_mut().push(w);
    }
    interp.rt.pools.push(pool.clone());
    Ok(pool)
}

fn spawn_worker(interp: &mut Interp, pool: &Pool, index: usize) -> R<Rc<ProcessHandle>> {
    let (tasks, results, word) = (pool.tasks, pool.results, Offset(pool.busy.0 + 4 * index as u32));
    match process::spawn(interp, true, move |it| worker_main(it, index, tasks, results, word))? {
        Value::Handle(Handle::Process(h)) => {
            *h.name.borrow_mut() = format!("PoolWorker-{}", index + 1);
            Ok(h)
        }
        _ => Err(ErrorObj::new("ProcessError", "could not start a pool worker")),
    }
}

// ---- the worker side --------------------------------------------------------

fn worker_main(interp: &mut Interp, index: usize, tasks: Queue, results: Queue, word: Offset) -> i32 {
    let name = format!("PoolWorker-{}", index + 1);
    table::set_name_at(interp.rt.slot, &name);
    interp.process.name = name;
    let busy = busy_word(word);
    let span = Span::default();
    loop {
        let Ok(bytes) = tasks.get(interp, true, None, span) else { return 1 };
        if bytes.len() < 8 {
            return 0;
        }
        let id = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        busy.store(id, SeqCst);
        let count = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        let mut out = id.to_le_bytes().to_vec();
        out.extend(run_chunk(interp, &bytes[8..], count));
        if results.put(interp, &out, true, None, span).is_err() {
            return 1;
        }
        busy.store(0, SeqCst);
    }
}

/// Run every call of a chunk; the encoded outcomes: `[values, failures]`,
/// a failure being `[index, kind, message, diagnostic]` (its value is nil).
fn run_chunk(interp: &mut Interp, bytes: &[u8], count: usize) -> Vec<u8> {
    let mut values = Vec::with_capacity(count);
    let mut failures = Vec::new();
    match decode_chunk(interp, bytes) {
        Ok((f, star, items)) => {
            for (i, item) in items.into_iter().enumerate() {
                let args = match (star, item) {
                    (true, Value::List(args)) => args.borrow().clone(),
                    (_, item) => vec![item],
                };
                match run_one(interp, &f, args) {
                    Ok(v) => values.push(v),
                    Err(e) => {
                        values.push(Value::Nil);
                        failures.push(failure(interp, i, e));
                    }
                }
            }
        }
        Err(e) => {
            values = vec![Value::Nil; count];
            failures = (0..count).map(|i| failure(interp, i, e.clone())).collect();
        }
    }
    let msg = Value::list(vec![Value::list(values.clone()), Value::list(failures.clone())]);
    match wire::encode(interp, &msg) {
        Ok(b) => b,
        // Some result cannot be sent back: that call fails, the others stand.
        Err(_) => {
            for (i, v) in values.iter_mut().enumerate() {
                if let Err(e) = wire::encode(interp, v) {
                    *v = Value::Nil;
                    failures.push(failure(interp, i, e));
                }
            }
            let msg = Value::list(vec![Value::list(values), Value::list(failures)]);
            wire::encode(interp, &msg).unwrap_or_default()
        }
    }
}

/// A task message: the function, whether items are argument lists, the items.
fn decode_chunk(interp: &mut Interp, bytes: &[u8]) -> R<(Value, bool, Vec<Value>)> {
    let msg = wire::decode(interp, bytes)?;
    let bad = || ErrorObj::new("ValueError", "a pool task arrived damaged");
    let Value::List(parts) = msg else { return Err(bad()) };
    let parts = parts.borrow();
    let (Some(f), Some(star), Some(Value::List(items))) = (parts.first(), parts.get(1), parts.get(2)) else {
        return Err(bad());
    };
    let items = items.borrow().clone();
    Ok((f.clone(), star.truthy(), items))
}

fn run_one(interp: &mut Interp, f: &Value, args: Vec<Value>) -> R<Value> {
    match interp.call_value(f, args, Vec::new(), Span::default()) {
        Ok(v) => Ok(v),
        Err(Flow::Error(e)) => Err(e),
        Err(Flow::Exit(code)) => Err(ErrorObj::new("SystemExit", format!("a pool task called exit({code})"))),
        Err(_) => Ok(Value::Nil),
    }
}

/// An error as it travels back: kind, message and the worker's diagnostic.
fn failure(interp: &Interp, index: usize, mut e: Box<ErrorObj>) -> Value {
    // The worker's own call of the task has no place in the script.
    e.trace.retain(|(_, s)| *s != Span::default());
    let e = interp.own(e);
    let diagnostic = interp.render_error(&e);
    Value::list(vec![Value::Int(index as i64), Value::str(&e.kind), Value::str(&e.message), Value::str(&diagnostic)])
}

// ---- the owner side: submitting ---------------------------------------------

fn check_owner(pool: &Pool) -> R<()> {
    if pool.owner != std::process::id() as i32 {
        return Err(ErrorObj::new(
            "ProcessError",
            format!("a pool can only be used by the process that created it (pid {})", pool.owner),
        ));
    }
    Ok(())
}

fn check_open(pool: &Pool) -> R<()> {
    check_owner(pool)?;
    if pool.status.get() != Status::Open {
        return Err(ErrorObj::new("ValueError", "the pool is not running (it was closed or terminated)"));
    }
    Ok(())
}

/// What to run: `f` over `items` (each the one argument, or with `star` the
/// argument list), sent in chunks of `chunksize` (default: about len / 4N).
struct Work<'a> {
    f: &'a Value,
    star: bool,
    items: Vec<Value>,
    chunksize: Option<usize>,
}

/// Queue the work as chunks; `job` collects the results.
fn submit(interp: &mut Interp, pool: &Rc<Pool>, work: Work, job: Rc<Job>, span: Span) -> R<Rc<Job>> {
    let Work { f, star, items: calls, chunksize } = work;
    check_open(pool)?;
    if !matches!(f, Value::Func(_) | Value::Native(_)) {
        return Err(ErrorObj::new("TypeError", format!("a pool task must be a function, not {}", value::type_name(f))));
    }
    let size = chunksize.unwrap_or_else(|| calls.len().div_ceil(4 * pool.size)).max(1);
    let mut start = 0;
    for chunk in calls.chunks(size) {
        let id = pool.next_chunk.get();
        pool.next_chunk.set(id.wrapping_add(1).max(1));
        let items = Value::list(chunk.to_vec());
        let mut bytes = id.to_le_bytes().to_vec();
        bytes.extend((chunk.len() as u32).to_le_bytes());
        bytes.extend(wire::encode(interp, &Value::list(vec![f.clone(), Value::Bool(star), items]))?);
        pool.tasks.put(interp, &bytes, true, None, span)?;
        pool.chunks.borrow_mut().insert(id, (job.clone(), start));
        start += chunk.len();
    }
    if job.done.get() {
        finished(pool, &job);
    }
    Ok(job)
}

/// A job just finished: its callback is due at the next waiting point.
fn finished(pool: &Pool, job: &Rc<Job>) {
    if job.callback.is_some() || job.error_callback.is_some() {
        pool.ready.borrow_mut().push_back(job.clone());
    }
}

// ---- the owner side: collecting ---------------------------------------------

/// Take in one result message.
fn accept(interp: &mut Interp, pool: &Pool, bytes: &[u8]) -> R<()> {
    if bytes.len() < 4 {
        return Ok(());
    }
    let id = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let Some((job, start)) = pool.chunks.borrow_mut().remove(&id) else { return Ok(()) };
    let parts = match wire::decode(interp, &bytes[4..]) {
        Ok(Value::List(parts)) => parts.borrow().clone(),
        Ok(_) => Vec::new(),
        Err(e) => {
            fail(pool, &job, e);
            return Ok(());
        }
    };
    let (Some(Value::List(values)), Some(Value::List(failures))) = (parts.first(), parts.get(1)) else {
        fail(pool, &job, ErrorObj::new("ValueError", "a pool result arrived damaged"));
        return Ok(());
    };
    let values = values.borrow();
    {
        let mut slots = job.values.borrow_mut();
        let end = (start + values.len()).min(slots.len());
        slots[start.min(end)..end].clone_from_slice(&values[..end - start.min(end)]);
    }
    if let Some(Value::List(first)) = failures.borrow().first() {
        let first = first.borrow();
        let text = |k: usize| match first.get(k) {
            Some(Value::Str(s)) => s.to_string(),
            _ => String::new(),
        };
        let mut e = ErrorObj::new(&text(1), text(2));
        e.cause = Some(text(3));
        fail(pool, &job, e);
    }
    let outcomes = &values;
    job.left.set(job.left.get().saturating_sub(outcomes.len()));
    if job.left.get() == 0 && !job.done.get() {
        job.done.set(true);
        finished(pool, &job);
    }
    Ok(())
}

/// The job fails with its first error (later chunks are ignored).
fn fail(pool: &Pool, job: &Rc<Job>, e: Box<ErrorObj>) {
    if job.done.get() {
        return;
    }
    *job.error.borrow_mut() = Some(e);
    job.done.set(true);
    finished(pool, job);
}

/// Take every result already there, without waiting.
fn drain(interp: &mut Interp, pool: &Pool) -> R<()> {
    loop {
        match pool.results.get(interp, false, None, Span::default()) {
            Ok(bytes) => accept(interp, pool, &bytes)?,
            Err(e) if &*e.kind == "Empty" => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Workers that died: fail the chunk each held and start a replacement.
fn check_workers(interp: &mut Interp, pool: &Pool) -> R<()> {
    pool.last_check.set(Instant::now());
    if matches!(pool.status.get(), Status::Terminated | Status::Joined) {
        return Ok(());
    }
    let workers = pool.workers.borrow().clone();
    for (i, w) in workers.iter().enumerate() {
        let Some(code) = process::exitcode(interp, w) else { continue };
        if code == 0 && pool.busy_word(i).load(SeqCst) == 0 {
            continue; // left normally after close()
        }
        // What it committed before dying counts.
        drain(interp, pool)?;
        let id = pool.busy_word(i).swap(0, SeqCst);
        let held = pool.chunks.borrow_mut().remove(&id);
        if let Some((job, _)) = held {
            let e = ErrorObj::new(
                "ProcessError",
                format!(
                    "pool worker {} (pid {}) died with exitcode {code} while running this task",
                    w.name.borrow(),
                    w.pid
                ),
            )
            .with_help("the pool started a replacement worker; other tasks go on");
            fail(pool, &job, e);
        }
        if code == 0 {
            continue;
        }
        let replacement = spawn_worker(interp, pool, i)?;
        pool.workers.borrow_mut()[i] = replacement;
        if pool.status.get() == Status::Closed {
            // The dead one may have taken its exit message already.
            pool.tasks.put(interp, &[], true, None, Span::default())?;
        }
    }
    Ok(())
}

/// Wait at most one slice for results (until `deadline` at the latest),
/// then look at the workers and run due callbacks.
fn wait_slice(interp: &mut Interp, pool: &Pool, deadline: Option<Instant>, span: Span) -> R<()> {
    let now = Instant::now();
    let slice = deadline.map_or(SLICE, |d| d.saturating_duration_since(now).min(SLICE));
    match pool.results.get(interp, true, Some(slice.as_secs_f64()), span) {
        Ok(bytes) => {
            accept(interp, pool, &bytes)?;
            drain(interp, pool)?;
        }
        Err(e) if &*e.kind == "Empty" => check_workers(interp, pool)?,
        Err(e) => return Err(e),
    }
    if pool.last_check.get().elapsed() > Duration::from_millis(200) {
        check_workers(interp, pool)?;
    }
    run_callbacks(interp, span)
}

/// Run the due callbacks of every pool of this process (a waiting point).
pub fn run_callbacks(interp: &mut Interp, span: Span) -> R<()> {
    let pools = interp.rt.pools.clone();
    for pool in pools {
        loop {
            let next = pool.ready.borrow_mut().pop_front();
            let Some(job) = next else { break };
            let error = job.error.borrow().clone();
            match (error, &job.callback, &job.error_callback) {
                (None, Some(cb), _) => {
                    interp.call_function(cb, vec![job.value()], span)?;
                }
                (Some(e), _, Some(ecb)) => {
                    interp.call_function(ecb, vec![Value::Error(Rc::new(*e))], span)?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// A waiting point outside the pool (`sleep`): take arrived results, run callbacks.
pub fn service(interp: &mut Interp) -> R<()> {
    let pools = interp.rt.pools.clone();
    for pool in &pools {
        if pool.owner == std::process::id() as i32 && matches!(pool.status.get(), Status::Open | Status::Closed) {
            drain(interp, pool)?;
        }
    }
    run_callbacks(interp, Span::default())
}

/// Block until `job` is done (or `timeout` passes: false).
fn wait_job(interp: &mut Interp, pool: &Pool, job: &Job, timeout: Option<f64>, span: Span) -> R<bool> {
    check_owner(pool)?;
    let deadline = super::wait::deadline_of(timeout);
    run_callbacks(interp, span)?;
    while !job.done.get() {
        if matches!(pool.status.get(), Status::Terminated | Status::Joined) {
            return Err(ErrorObj::new("ProcessError", "the pool ended before this task's result arrived"));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(false);
        }
        wait_slice(interp, pool, deadline, span)?;
    }
    run_callbacks(interp, span)?;
    Ok(true)
}

// ---- lifecycle ----------------------------------------------------------------

pub fn close(interp: &mut Interp, pool: &Pool) -> R<()> {
    check_owner(pool)?;
    if pool.status.get() != Status::Open {
        return Ok(());
    }
    pool.status.set(Status::Closed);
    for _ in 0..pool.size {
        pool.tasks.put(interp, &[], true, None, Span::default())?;
    }
    Ok(())
}

/// Wait for the workers of a closed pool to finish every task and leave.
pub fn join(interp: &mut Interp, pool: &Pool, span: Span) -> R<()> {
    check_owner(pool)?;
    match pool.status.get() {
        Status::Open => {
            return Err(ErrorObj::new("ValueError", "join() needs a closed pool")
                .with_help("call close() (no more tasks) or terminate() first"))
        }
        Status::Joined => return Ok(()),
        Status::Closed | Status::Terminated => {}
    }
    loop {
        check_workers(interp, pool)?;
        let workers = pool.workers.borrow().clone();
        let running = workers.iter().find(|w| process::exitcode(interp, w).is_none());
        match running {
            None => break,
            // Results still to come: they wake us as they arrive.
            Some(_) if !pool.chunks.borrow().is_empty() => wait_slice(interp, pool, None, span)?,
            // Only the workers' exits to come: wait for one of them.
            Some(w) => {
                process::wait_child(interp, w.pid, Some(SLICE.as_secs_f64()), span)?;
                drain(interp, pool)?;
                run_callbacks(interp, span)?;
            }
        }
    }
    drain(interp, pool)?;
    run_callbacks(interp, span)?;
    pool.status.set(Status::Joined);
    interp.rt.pools.retain(|p| !std::ptr::eq(&**p, pool));
    Ok(())
}

/// End the workers now; unfinished tasks fail.
pub fn terminate(interp: &mut Interp, pool: &Pool) -> R<()> {
    check_owner(pool)?;
    if matches!(pool.status.get(), Status::Terminated | Status::Joined) {
        return Ok(());
    }
    pool.status.set(Status::Terminated);
    let workers = pool.workers.borrow().clone();
    for w in &workers {
        process::send_signal(w, libc::SIGTERM)?;
    }
    for w in &workers {
        if w.exitcode.get().is_none() {
            process::wait_child(interp, w.pid, None, Span::default())?;
        }
    }
    let pending: Vec<_> = pool.chunks.borrow_mut().drain().map(|(_, (job, _))| job).collect();
    for job in pending {
        fail(pool, &job, ErrorObj::new("ProcessError", "the pool was terminated before this task finished"));
    }
    pool.ready.borrow_mut().clear();
    Ok(())
}

/// End of the program: close and join every open pool (terminate after Ctrl-C).
pub fn finish_all(interp: &mut Interp) {
    let pools = std::mem::take(&mut interp.rt.pools);
    interp.rt.pools = pools.clone();
    for pool in pools {
        if pool.owner != std::process::id() as i32 {
            continue;
        }
        let ended = match interp.rt.interrupted {
            true => terminate(interp, &pool),
            false => close(interp, &pool).and_then(|()| join(interp, &pool, Span::default())),
        };
        if let Err(e) = ended {
            let _ = terminate(interp, &pool);
            if !e.ends_program() {
                let e = interp.own(e);
                super::output::eprint(&interp.render_error(&e));
            }
        }
    }
    interp.rt.pools.clear();
}

// ---- methods --------------------------------------------------------------------

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
            job.outcome()
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
            job.outcome()
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
            if !job.done.get() && pool.owner == std::process::id() as i32 && pool.status.get() != Status::Joined {
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
