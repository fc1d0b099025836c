//! The owner side of a pool: jobs split into chunks and queued, results
//! taken in and put back in order, dead workers noticed, callbacks run at
//! waiting points.

use super::{
    check_open, check_owner, process, spawn_worker, Pool, Status, INIT_FAILED, R, RETIRED, SLICE, TASK_HEADER,
};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::process::ProcessHandle;
use crate::runtime::Host;
use crate::syntax::span::Span;
use crate::value::{self, wire, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

/// One call's worth of work: a map (many values) or an apply (one).
pub struct Job {
    single: bool,
    values: RefCell<Vec<Value>>,
    left: Cell<usize>,
    pub(super) error: RefCell<Option<Box<ErrorObj>>>,
    pub(super) done: Cell<bool>,
    callback: Option<Value>,
    error_callback: Option<Value>,
    /// `imap` / `imap_unordered`: results handed out one at a time.
    pub(super) lazy: Option<RefCell<Lazy>>,
}

/// The results of an `imap` (by index) or `imap_unordered` (by arrival)
/// not handed out yet. A failed call is an error at its place; the others
/// still come.
#[derive(Default)]
pub(super) struct Lazy {
    pub(super) ordered: bool,
    /// `imap`: which indices have arrived (their values are in `Job::values`).
    pub(super) got: Vec<bool>,
    /// `imap`: the errors of failed calls, by index.
    pub(super) errors: std::collections::HashMap<usize, Box<ErrorObj>>,
    /// `imap_unordered`: outcomes in the order they arrived.
    pub(super) arrived: std::collections::VecDeque<R<Value>>,
}

impl Job {
    pub(super) fn new(single: bool, n: usize, callback: Option<Value>, error_callback: Option<Value>) -> Rc<Job> {
        Rc::new(Job {
            single,
            values: RefCell::new(vec![Value::Nil; n]),
            left: Cell::new(n),
            error: RefCell::new(None),
            done: Cell::new(n == 0),
            callback,
            error_callback,
            lazy: None,
        })
    }

    /// A job whose results are handed out one at a time (`imap`, or
    /// `imap_unordered` when not `ordered`).
    pub(super) fn lazy(n: usize, ordered: bool) -> Rc<Job> {
        let mut job = Job::new(false, n, None, None);
        if let Some(j) = Rc::get_mut(&mut job) {
            let got = if ordered { vec![false; n] } else { Vec::new() };
            j.lazy = Some(RefCell::new(Lazy { ordered, got, ..Lazy::default() }));
        }
        job
    }

    pub(super) fn len(&self) -> usize {
        self.values.borrow().len()
    }

    /// Take the value at `index` out (an `imap` hands each out once).
    pub(super) fn take_value(&self, index: usize) -> Value {
        self.values.borrow_mut().get_mut(index).map(std::mem::take).unwrap_or_default()
    }

    pub(super) fn value(&self) -> Value {
        let values = self.values.borrow();
        match self.single {
            true => values.first().cloned().unwrap_or(Value::Nil),
            false => Value::list(values.clone()),
        }
    }

    /// The result, or the task's error raised again here.
    pub(super) fn outcome(&self) -> R<Value> {
        match &*self.error.borrow() {
            Some(e) => Err(e.clone()),
            None => Ok(self.value()),
        }
    }

    /// The outcome of a job nothing else refers to (a plain `map`): its
    /// values are taken, not copied.
    pub(super) fn into_outcome(job: Rc<Job>) -> R<Value> {
        let job = match Rc::try_unwrap(job) {
            Ok(job) if job.lazy.is_none() => job,
            Ok(job) => return job.outcome(),
            Err(shared) => return shared.outcome(),
        };
        match (job.error.into_inner(), job.single) {
            (Some(e), _) => Err(e),
            (None, true) => Ok(job.values.into_inner().into_iter().next().unwrap_or(Value::Nil)),
            (None, false) => Ok(Value::list(job.values.into_inner())),
        }
    }
}

/// `r = p.apply_async(…)`: a result that may not have arrived yet.
#[derive(Debug)]
pub struct AsyncResult {
    pub(super) pool: Rc<Pool>,
    pub(super) job: Rc<Job>,
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

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<job done={} left={}>", self.done.get(), self.left.get())
    }
}

// ---- submitting ---------------------------------------------------------------

/// What each item of a task is (the task's `star` byte).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(super) enum Mode {
    /// The one argument (`map`).
    One = 0,
    /// The argument list (`starmap`, `apply`).
    List = 1,
    /// `[argument list, {keyword: value}]` (`apply(…, kwds=…)`).
    ListKw = 2,
}

/// What to run: `f` over `items` (each as its `mode` says), sent in
/// chunks of `chunksize` (default: about len / 4N).
pub(super) struct Work<'a> {
    pub(super) f: &'a Value,
    pub(super) mode: Mode,
    pub(super) items: Vec<Value>,
    pub(super) chunksize: Option<usize>,
}

/// Queue the work as chunks; `job` collects the results.
pub(super) fn submit(
    interp: &mut (impl Host + ?Sized),
    pool: &Rc<Pool>,
    work: Work,
    job: Rc<Job>,
    span: Span,
) -> R<Rc<Job>> {
    let Work { f, mode, items: calls, chunksize } = work;
    check_open(pool)?;
    if !matches!(f, Value::Func(_) | Value::Native(_)) {
        return Err(ErrorObj::new(
            ErrorKind::TypeError,
            format!("a pool task must be a function, not {}", value::type_name(f)),
        ));
    }
    let size = chunksize.unwrap_or_else(|| calls.len().div_ceil(4 * pool.workers_for_chunks())).max(1);
    // The function is encoded once for all the chunks.
    let mut func = Vec::new();
    wire::encode_into(interp.codec(), f, &mut func)?;
    let mut start = 0;
    for chunk in calls.chunks(size) {
        let id = pool.next_chunk.get();
        pool.next_chunk.set(id.wrapping_add(1).max(1));
        let mut bytes = Vec::with_capacity(TASK_HEADER + func.len() + 8 + 3 * chunk.len());
        bytes.extend(id.to_le_bytes());
        bytes.extend((chunk.len() as u32).to_le_bytes());
        bytes.push(mode as u8);
        bytes.extend((func.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&func);
        wire::encode_list_into(interp.codec(), chunk, &mut bytes)?;
        match pool.local() {
            Ok((tasks, _)) => tasks.put(interp, &bytes, true, None, span)?,
            Err(remote) => remote.put_task(interp, &bytes, span)?,
        }
        pool.chunks.borrow_mut().insert(id, (job.clone(), start));
        start += chunk.len();
    }
    if job.done.get() {
        finished(pool, &job);
    }
    Ok(job)
}

/// The items of a list just decoded (taken, or copied if shared).
pub(super) fn take_list(list: value::List) -> Vec<Value> {
    match Rc::try_unwrap(list) {
        Ok(cell) => cell.into_inner().into(),
        Err(shared) => shared.borrow().clone(),
    }
}

/// A job just finished: its callback is due at the next waiting point.
pub(super) fn finished(pool: &Pool, job: &Rc<Job>) {
    if job.callback.is_some() || job.error_callback.is_some() {
        pool.ready.borrow_mut().push_back(job.clone());
    }
}

// ---- collecting -----------------------------------------------------------------

/// Take in one result message.
pub(super) fn accept(interp: &mut (impl Host + ?Sized), pool: &Pool, bytes: &[u8]) -> R<()> {
    if bytes.len() < 4 {
        return Ok(());
    }
    let id = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let Some((job, start)) = pool.chunks.borrow_mut().remove(&id) else { return Ok(()) };
    let parts = match wire::decode(interp.codec_mut(), &bytes[4..]) {
        Ok(Value::List(parts)) => take_list(parts),
        Ok(_) => Vec::new(),
        Err(e) => {
            fail(pool, &job, e);
            return Ok(());
        }
    };
    let mut parts = parts.into_iter();
    let (Some(Value::List(values)), Some(Value::List(failures))) = (parts.next(), parts.next()) else {
        fail(pool, &job, ErrorObj::new(ErrorKind::ValueError, "a pool result arrived damaged"));
        return Ok(());
    };
    let values = take_list(values);
    let count = values.len();
    if let Some(lazy) = &job.lazy {
        take_lazy(&job, &mut lazy.borrow_mut(), start, values, &failures.borrow());
    } else {
        {
            let mut slots = job.values.borrow_mut();
            let start = start.min(slots.len());
            for (slot, v) in slots[start..].iter_mut().zip(values) {
                *slot = v;
            }
        }
        if let Some(Value::List(first)) = failures.borrow().first() {
            fail(pool, &job, failure_error(&first.borrow()));
        }
    }
    job.left.set(job.left.get().saturating_sub(count));
    if job.left.get() == 0 && !job.done.get() {
        job.done.set(true);
        finished(pool, &job);
    }
    Ok(())
}

/// A failed call as it came back: `[index, error, diagnostic]`.
fn failure_error(f: &[Value]) -> Box<ErrorObj> {
    let mut e = match f.get(1) {
        Some(Value::Error(e)) => ErrorObj::new(e.kind.clone(), e.message.clone()),
        _ => ErrorObj::new(ErrorKind::ValueError, "a pool worker sent a damaged result"),
    };
    e.cause = match f.get(2) {
        Some(Value::Str(s)) => Some(s.to_string()),
        _ => None,
    };
    e
}

/// A chunk of an `imap`'s results (starting at `start`): each value or
/// error is kept for its turn.
fn take_lazy(job: &Job, lazy: &mut Lazy, start: usize, values: Vec<Value>, failures: &[Value]) {
    let mut errors: std::collections::HashMap<usize, Box<ErrorObj>> = failures
        .iter()
        .filter_map(|f| match f {
            Value::List(f) => {
                let f = f.borrow();
                let i = match f.first() {
                    Some(Value::Int(i)) => *i as usize,
                    _ => 0,
                };
                Some((i, failure_error(&f)))
            }
            _ => None,
        })
        .collect();
    let mut slots = job.values.borrow_mut();
    for (i, v) in values.into_iter().enumerate() {
        let error = errors.remove(&i);
        let at = start + i;
        if !lazy.ordered {
            lazy.arrived.push_back(error.map_or(Ok(v), Err));
            continue;
        }
        if let (Some(slot), Some(got)) = (slots.get_mut(at), lazy.got.get_mut(at)) {
            *slot = v;
            *got = true;
            if let Some(e) = error {
                lazy.errors.insert(at, e);
            }
        }
    }
}

/// The job fails with its first error (later chunks are ignored).
pub(super) fn fail(pool: &Pool, job: &Rc<Job>, e: Box<ErrorObj>) {
    if job.done.get() {
        return;
    }
    *job.error.borrow_mut() = Some(e);
    job.done.set(true);
    finished(pool, job);
}

/// Take every result already there, without waiting.
pub(super) fn drain(interp: &mut (impl Host + ?Sized), pool: &Pool) -> R<()> {
    let results = match pool.local() {
        Ok((_, results)) => results,
        Err(remote) => {
            while let Some(bytes) = remote.take_result(interp, None, Span::default())? {
                accept(interp, pool, &bytes)?;
            }
            return Ok(());
        }
    };
    loop {
        match results.get(interp, false, None, Span::default()) {
            Ok(bytes) => accept(interp, pool, &bytes)?,
            Err(e) if e.kind == ErrorKind::Empty => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Workers that died: fail the chunk each held and start a replacement.
pub(super) fn check_workers(interp: &mut (impl Host + ?Sized), pool: &Pool) -> R<()> {
    pool.last_check.set(Instant::now());
    if matches!(pool.status.get(), Status::Terminated | Status::Joined) {
        return Ok(());
    }
    let tasks = match pool.local() {
        Ok((tasks, _)) => tasks,
        // Tasks of remote workers that died go back to the task queue.
        Err(remote) => return remote.recover(),
    };
    let workers = pool.workers.borrow().clone();
    for (i, w) in workers.iter().enumerate() {
        let Some(code) = process::exitcode(interp, w) else { continue };
        match pool.busy_word(i).load(SeqCst) {
            0 if code == 0 => continue, // left normally after close()
            RETIRED => {
                // Done its `maxtasksperchild` tasks: a fresh one takes over.
                pool.busy_word(i).store(0, SeqCst);
                let replacement = spawn_worker(interp, pool, i)?;
                pool.workers.borrow_mut()[i] = replacement;
                continue;
            }
            INIT_FAILED => return initializer_failed(interp, pool, w),
            _ => {}
        }
        // What it committed before dying counts.
        drain(interp, pool)?;
        let id = pool.busy_word(i).swap(0, SeqCst);
        let held = pool.chunks.borrow_mut().remove(&id);
        if let Some((job, _)) = held {
            let e = ErrorObj::new(
                ErrorKind::ProcessError,
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
            tasks.put(interp, &[], true, None, Span::default())?;
        }
    }
    Ok(())
}

/// A worker's initializer failed (its diagnostic is on stderr): every
/// worker would fail the same way, so the pool ends and its pending jobs
/// fail, rather than starting workers for ever.
fn initializer_failed(interp: &mut (impl Host + ?Sized), pool: &Pool, w: &ProcessHandle) -> R<()> {
    let e = ErrorObj::new(
        ErrorKind::ProcessError,
        format!("the pool's initializer failed in {} (pid {}): see its error above", w.name.borrow(), w.pid),
    )
    .with_help("the pool was terminated: fix the initializer, every worker runs it first");
    let pending: Vec<_> = pool.chunks.borrow_mut().drain().map(|(_, (job, _))| job).collect();
    let due = pool.ready.take();
    super::terminate(interp, pool)?;
    *pool.ready.borrow_mut() = due;
    for job in pending {
        fail(pool, &job, e.clone());
    }
    Ok(())
}

/// Wait at most one slice for results (until `deadline` at the latest),
/// then look at the workers and run due callbacks.
pub(super) fn wait_slice(
    interp: &mut (impl Host + ?Sized),
    pool: &Pool,
    deadline: Option<Instant>,
    span: Span,
) -> R<()> {
    let now = Instant::now();
    let slice = deadline.map_or(SLICE, |d| d.saturating_duration_since(now).min(SLICE));
    let got = match pool.local() {
        Ok((_, results)) => results.get(interp, true, Some(slice.as_secs_f64()), span),
        Err(remote) => remote
            .take_result(interp, Some(slice), span)
            .and_then(|r| r.ok_or_else(|| ErrorObj::new(ErrorKind::Empty, "no result yet"))),
    };
    match got {
        Ok(bytes) => {
            accept(interp, pool, &bytes)?;
            drain(interp, pool)?;
        }
        Err(e) if e.kind == ErrorKind::Empty => check_workers(interp, pool)?,
        Err(e) => return Err(e),
    }
    if pool.last_check.get().elapsed() > Duration::from_millis(200) {
        check_workers(interp, pool)?;
    }
    run_callbacks(interp, span)
}

thread_local! {
    /// The pid of the process running a callback (0: none): waiting points
    /// inside it run no other one. A pid, so a child forked inside a
    /// callback starts free to run its own pools' callbacks.
    static IN_CALLBACK: Cell<i32> = const { Cell::new(0) };
}

/// Marks a callback as running until dropped (also when it fails).
struct CallbackGuard;

impl Drop for CallbackGuard {
    fn drop(&mut self) {
        IN_CALLBACK.set(0);
    }
}

/// Run the due callbacks of every pool of this process (a waiting point),
/// one at a time, each to its end: a callback that itself waits (sleep,
/// get…) lets results arrive but starts no other callback inside it.
pub fn run_callbacks(interp: &mut (impl Host + ?Sized), span: Span) -> R<()> {
    if IN_CALLBACK.get() == process::my_pid() {
        return Ok(());
    }
    IN_CALLBACK.set(process::my_pid());
    let _guard = CallbackGuard;
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
pub fn service(interp: &mut (impl Host + ?Sized)) -> R<()> {
    let pools = interp.rt.pools.clone();
    for pool in &pools {
        if pool.owner == process::my_pid() && matches!(pool.status.get(), Status::Open | Status::Closed) {
            drain(interp, pool)?;
        }
    }
    run_callbacks(interp, Span::default())
}

/// Block until `job` is done (or `timeout` passes: false).
pub(super) fn wait_job(
    interp: &mut (impl Host + ?Sized),
    pool: &Pool,
    job: &Job,
    timeout: Option<f64>,
    span: Span,
) -> R<bool> {
    check_owner(pool)?;
    let deadline = super::super::wait::deadline_of(timeout);
    run_callbacks(interp, span)?;
    while !job.done.get() {
        if matches!(pool.status.get(), Status::Terminated | Status::Joined) {
            return Err(ErrorObj::new(ErrorKind::ProcessError, "the pool ended before this task's result arrived"));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(false);
        }
        wait_slice(interp, pool, deadline, span)?;
    }
    run_callbacks(interp, span)?;
    Ok(true)
}
