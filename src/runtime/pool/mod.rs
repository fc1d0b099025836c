//! `pool`: N worker processes started once and reused.
//!
//! A pool belongs to the process that made it (its owner): the handle is a
//! local `Rc` holding the workers, two queues of `queue.rs` — tasks (owner →
//! workers) and results (workers → owner) — and the owner's bookkeeping of
//! pending jobs. Workers are daemon children looping on the task queue.
//!
//! Wire format (raw queue bytes, little-endian header then wire messages):
//! ```text
//! task     chunk id u32 | count u32 | mode u8 | fn length u32 | wire fn
//!          | wire [item, …]
//!          (an item is, by mode, the one argument (0), the argument list
//!          (1), or [argument list, {keyword: value}] (2);
//!          the fn bytes are the same for every chunk of a job)
//! result   chunk id u32 | wire [[value, …], [[index, error, diagnostic], …]]
//! exit     empty bytes: the worker leaves
//! ```
//! A job (one map, one apply_async…) is split into chunks; results are put
//! back in order by (chunk id → job, first index). Each worker has a word
//! in the arena holding the chunk it is running (0: idle), written under the
//! task queue's mutex before the chunk's removal is committed, so a worker
//! that dies at any moment is known to have held that chunk: the chunk
//! fails with a ProcessError and a replacement worker is started. (Killed
//! between the two stores, the chunk is also still queued: another worker
//! runs it, and its late result is ignored — reported, never lost.) A
//! stopped (SIGSTOP) worker is not dead: its chunk waits for it, as in
//! Python; SIGCONT, Ctrl-C or `--timeout` end the wait.
//!
//! The owner stays single-threaded: results are drained and callbacks run
//! only at its waiting points (pool calls, `sleep`, `join`, program end).
//! The owner waits in short timed slices, so a pool wait never looks like a
//! deadlock; idle workers wait untimed, like any queue reader.
//!
//! Here: the pool itself, its start and its end (close, join, terminate).
//! `jobs.rs` is the owner's side (submitting, collecting, callbacks),
//! `worker.rs` the workers' loop, `methods.rs` what a script can call.

mod jobs;
mod methods;
mod results;
mod worker;

use jobs::{check_workers, drain, fail, wait_slice, Job};
pub use jobs::{run_callbacks, service, AsyncResult};
pub use methods::{call_method, field_get, result_method, RESULT_TABLE, TABLE};
pub use results::{results_method, ResultIter, RESULTS_TABLE};
pub(crate) use worker::{fail_task, keep_freed_memory, run_task, LastFn};

use super::process::{self, ProcessHandle};
use super::queue::Queue;
use super::shm::{self, Offset};
use super::{table, Handle};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Host;
use crate::syntax::span::Span;
use crate::value::Value;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::Instant;

use crate::diagnostics::R;

/// Bytes of a task before the function's message.
const TASK_HEADER: usize = 13;

use crate::runtime::wait::SLICE;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Open,
    Closed,
    Terminated,
    Joined,
}

/// Where a pool's tasks go and its results come from.
pub(crate) enum Link {
    /// Its own worker processes, over two queues of the arena.
    Local {
        tasks: Queue,
        results: Queue,
        /// One `AtomicU32` per worker in the arena: the chunk it runs, 0 if idle.
        busy: Offset,
    },
    /// Workers on any machine, through a Redis server (`remote/pool.rs`).
    Remote(super::remote::pool::Link),
}

pub struct Pool {
    owner: i32,
    size: usize,
    link: Link,
    workers: RefCell<Vec<Rc<ProcessHandle>>>,
    next_chunk: Cell<u32>,
    chunks: RefCell<HashMap<u32, (Rc<Job>, usize)>>,
    /// Finished jobs whose callback is still to run.
    ready: RefCell<VecDeque<Rc<Job>>>,
    status: Cell<Status>,
    last_check: Cell<Instant>,
    setup: Setup,
}

/// What each worker runs first and how many tasks it takes before a fresh
/// worker replaces it: `pool(n, initializer=f, initargs=[…], maxtasksperchild=k)`.
#[derive(Clone, Default, Debug)]
pub struct Setup {
    pub initializer: Option<Value>,
    pub initargs: Vec<Value>,
    /// Chunks a worker runs before it leaves (`None`: no limit).
    pub maxtasks: Option<u64>,
}

/// A worker's busy word when it left after `maxtasksperchild` tasks.
const RETIRED: u32 = u32::MAX;
/// A worker's busy word when its initializer failed.
const INIT_FAILED: u32 = u32::MAX - 1;

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Pool {
    pub fn describe(&self) -> String {
        let state = match self.status.get() {
            Status::Open => "open",
            Status::Closed => "closed",
            Status::Terminated | Status::Joined => "ended",
        };
        match &self.link {
            Link::Remote(r) => format!("<remote pool `{}` {state} on {}>", r.name, r.server.shown),
            Link::Local { .. } => format!("<pool size={} {state}>", self.size),
        }
    }

    fn busy_word(&self, index: usize) -> &AtomicU32 {
        let busy = match &self.link {
            Link::Local { busy, .. } => *busy,
            Link::Remote(_) => unreachable!("a remote pool has no worker of its own"),
        };
        busy_word(Offset(busy.0 + 4 * index as u32))
    }

    /// The local queues (tasks, results), or the remote link.
    fn local(&self) -> Result<(Queue, Queue), &super::remote::pool::Link> {
        match &self.link {
            Link::Local { tasks, results, .. } => Ok((*tasks, *results)),
            Link::Remote(r) => Err(r),
        }
    }

    /// How many workers a job's default chunk size is made for.
    fn workers_for_chunks(&self) -> usize {
        match self.link {
            Link::Local { .. } => self.size,
            Link::Remote(_) => super::remote::pool::WORKERS_GUESS,
        }
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
pub fn new(interp: &mut (impl Host + ?Sized), size: usize, setup: Setup) -> R<Rc<Pool>> {
    process::start(interp);
    let link = Link::Local { tasks: Queue::new(0)?, results: Queue::new(0)?, busy: shm::alloc(4 * size)? };
    let pool = Rc::new(Pool {
        owner: process::my_pid(),
        size,
        link,
        workers: RefCell::new(Vec::with_capacity(size)),
        next_chunk: Cell::new(1),
        chunks: RefCell::new(HashMap::new()),
        ready: RefCell::new(VecDeque::new()),
        status: Cell::new(Status::Open),
        last_check: Cell::new(Instant::now()),
        setup,
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

fn spawn_worker(interp: &mut (impl Host + ?Sized), pool: &Pool, index: usize) -> R<Rc<ProcessHandle>> {
    let Link::Local { tasks, results, busy } = pool.link else {
        return Err(ErrorObj::new(ErrorKind::ProcessError, "a remote pool starts no worker of its own"));
    };
    let word = Offset(busy.0 + 4 * index as u32);
    let setup = &pool.setup;
    match process::spawn(interp, true, move |it| worker::worker_main(it, index, tasks, results, word, setup))? {
        Value::Handle(Handle::Process(h)) => {
            *h.name.borrow_mut() = format!("PoolWorker-{}", index + 1);
            Ok(h)
        }
        _ => Err(ErrorObj::new(ErrorKind::ProcessError, "could not start a pool worker")),
    }
}

/// A pool of workers elsewhere (`m.pool(name)`), owned by this process.
pub(crate) fn new_remote(interp: &mut (impl Host + ?Sized), link: super::remote::pool::Link) -> Rc<Pool> {
    process::start(interp);
    let pool = Rc::new(Pool {
        owner: process::my_pid(),
        size: 0,
        link: Link::Remote(link),
        workers: RefCell::new(Vec::new()),
        next_chunk: Cell::new(1),
        chunks: RefCell::new(HashMap::new()),
        ready: RefCell::new(VecDeque::new()),
        status: Cell::new(Status::Open),
        last_check: Cell::new(Instant::now()),
        setup: Setup::default(),
    });
    interp.rt.pools.push(pool.clone());
    pool
}

pub(super) fn check_owner(pool: &Pool) -> R<()> {
    if pool.owner != process::my_pid() {
        return Err(ErrorObj::new(
            ErrorKind::ProcessError,
            format!("a pool can only be used by the process that created it (pid {})", pool.owner),
        ));
    }
    Ok(())
}

pub(super) fn check_open(pool: &Pool) -> R<()> {
    check_owner(pool)?;
    if pool.status.get() != Status::Open {
        return Err(ErrorObj::new(ErrorKind::ValueError, "the pool is not running (it was closed or terminated)"));
    }
    Ok(())
}

// ---- lifecycle ----------------------------------------------------------------

pub fn close(interp: &mut (impl Host + ?Sized), pool: &Pool) -> R<()> {
    check_owner(pool)?;
    if pool.status.get() != Status::Open {
        return Ok(());
    }
    pool.status.set(Status::Closed);
    // Remote workers serve other callers too: they are not told to leave.
    if let Ok((tasks, _)) = pool.local() {
        for _ in 0..pool.size {
            tasks.put(interp, &[], true, None, Span::default())?;
        }
    }
    Ok(())
}

/// Wait for the workers of a closed pool to finish every task and leave.
pub fn join(interp: &mut (impl Host + ?Sized), pool: &Pool, span: Span) -> R<()> {
    check_owner(pool)?;
    match pool.status.get() {
        Status::Open => {
            return Err(ErrorObj::new(ErrorKind::ValueError, "join() needs a closed pool")
                .with_help("call close() (no more tasks) or terminate() first"))
        }
        Status::Joined => return Ok(()),
        Status::Closed | Status::Terminated => {}
    }
    loop {
        check_workers(interp, pool)?;
        if pool.local().is_err() {
            // A remote pool is joined when every result is in.
            if pool.chunks.borrow().is_empty() {
                break;
            }
            wait_slice(interp, pool, None, span)?;
            continue;
        }
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
pub fn terminate(interp: &mut (impl Host + ?Sized), pool: &Pool) -> R<()> {
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
        fail(pool, &job, ErrorObj::new(ErrorKind::ProcessError, "the pool was terminated before this task finished"));
    }
    if let Err(remote) = pool.local() {
        remote.forget();
    }
    pool.ready.borrow_mut().clear();
    Ok(())
}

/// End of the program: close and join every open pool (terminate after Ctrl-C).
pub fn finish_all(interp: &mut (impl Host + ?Sized)) {
    let pools = std::mem::take(&mut interp.rt.pools);
    interp.rt.pools = pools.clone();
    for pool in pools {
        if pool.owner != process::my_pid() {
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
