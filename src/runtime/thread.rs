//! Threads of one process (`thread f()`), one at a time: a GIL.
//!
//! Each script thread runs on an OS thread of its own, and the threads
//! share the interpreter (globals, data, handles). Only the thread holding
//! the GIL — a ticket lock (`NEXT`, `SERVING`) on two words — runs script
//! code or touches any interpreter state. A thread lets go of it:
//! - around every blocking system call, through [`unlocked`]: a closure
//!   that must be `Send` (so it cannot capture the interpreter or a value)
//!   and makes only raw system calls — nothing is allocated and no lock is
//!   taken while the GIL is free;
//! - at a safe point (a call, a loop turn, between the right-hand side and
//!   the store of an assignment) when a thread has waited for it one switch
//!   interval (`setswitchinterval`): the waiter raises `DROP_REQUEST`.
//!
//! **Fork is safe by construction.** Every OS thread but the GIL holder is
//! always in one of three places, none holding a lock of any kind: parked
//! on the GIL word, parked idle on its own word (finished threads are kept
//! for reuse and never exit, so no thread-exit code ever frees memory
//! without the GIL), or inside an `unlocked` system call. `spawn` runs on
//! the GIL holder, so at `fork` no other thread is inside malloc, printing
//! or a runtime lock; the child resets the GIL to "held by me, no
//! threads" and forgets the others (`after_fork`), as POSIX fork does.
//! A new OS thread is waited for until it has reached its parking place.
//!
//! **Sharing `Rc` values between OS threads.** Values are not `Send`. They
//! move to a new thread inside a `Job` and are only ever touched by the GIL
//! holder; the GIL's release (a `Release` store) and acquire (an `Acquire`
//! load) order every access of one thread before the next thread's. The
//! one `&mut` interpreter is used by one thread at a time the same way;
//! after taking the GIL back, `unlocked` passes it through `black_box` so
//! the compiler cannot assume that it was left unchanged meanwhile.
//!
//! Per-thread interpreter state (the call stack, the thread's table slot
//! and id) is swapped in by the thread that takes the GIL
//! (`Host::switch_thread`). Signals are handled by the main thread only
//! (threads block them), as in Python.

use super::table::{self, WaitKind};
use super::{futex, process, signals, trace, Handle, Table};
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use crate::runtime::Host;
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{self, Args, BuiltinFn, Str, Value};
use std::cell::{Cell, RefCell, UnsafeCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::time::Duration;

/// Which thread of the process runs now, as the runtime needs it: its index
/// (0: the main thread) and its OS thread id (the owner id of the locks it
/// takes; the pid for the main thread).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadIdent {
    pub index: u32,
    pub tid: i32,
}

/// The index of a thread that has ended: its state is dropped at the next
/// switch, not kept.
pub const ENDED: u32 = u32::MAX;

/// Stack of a thread: twice the main thread's usual 8 MiB, room for the
/// deepest recursion the evaluator allows (pages are used as touched).
const STACK: usize = 16 << 20;

/// Threads exist in this process: until then every GIL operation is a no-op.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The ticket of the thread holding the GIL; the main thread holds 0.
static SERVING: AtomicU32 = AtomicU32::new(0);
/// The next ticket to hand out.
static NEXT: AtomicU32 = AtomicU32::new(1);
/// A thread waited a whole switch interval: the holder yields at its next
/// safe point.
static DROP_REQUEST: AtomicBool = AtomicBool::new(false);
/// The main code has ended and its threads were joined: the GIL is never
/// given up again, so daemon threads stop where they are.
static FROZEN: AtomicBool = AtomicBool::new(false);
static INTERVAL_NS: AtomicU64 = AtomicU64::new(5_000_000);
/// OS threads made here (all parked or running script threads): fork's
/// check for foreign threads leaves them out.
static OS_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Whether this process has started threads.
#[inline]
pub fn active() -> bool {
    ACTIVE.load(Relaxed)
}

pub fn os_threads() -> usize {
    OS_THREADS.load(Relaxed)
}

fn futex_wait_private(word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> bool {
    let ts = timeout.map(|d| libc::timespec { tv_sec: d.as_secs() as libc::time_t, tv_nsec: d.subsec_nanos() as _ });
    let tsp = ts.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: a valid aligned word of this process; FUTEX_WAIT only reads it.
    let r = unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG, expected, tsp)
    };
    !(r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ETIMEDOUT))
}

fn futex_wake_private(word: &AtomicU32, n: i32) {
    // SAFETY: plain FUTEX_WAKE on a valid word of this process.
    unsafe { libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG, n) };
}

/// Take the GIL (in ticket order). Allocation-free.
fn acquire() {
    let ticket = NEXT.fetch_add(1, Relaxed);
    loop {
        let serving = SERVING.load(Acquire);
        if serving == ticket {
            return;
        }
        let interval = Duration::from_nanos(INTERVAL_NS.load(Relaxed));
        if !futex_wait_private(&SERVING, serving, Some(interval))
            && SERVING.load(Relaxed) == serving
            && !FROZEN.load(Relaxed)
        {
            // A whole interval without a switch: ask the holder to yield.
            DROP_REQUEST.store(true, SeqCst);
            signals::ANY_PENDING.store(true, SeqCst);
        }
    }
}

/// Hand the GIL to the next ticket. Allocation-free.
fn release() {
    SERVING.fetch_add(1, Release);
    futex_wake_private(&SERVING, i32::MAX);
}

/// Run the blocking system call `f` with the GIL free, so other threads
/// run meanwhile. `f` must only make system calls: it is `Send`, so it
/// cannot touch the interpreter or a value.
#[inline]
pub fn unlocked<H: Host + ?Sized, T>(interp: &mut H, f: impl FnOnce() -> T + Send) -> T {
    if !ACTIVE.load(Relaxed) || FROZEN.load(Relaxed) {
        return f();
    }
    let me = interp.thread.index;
    release();
    let out = f();
    acquire();
    resume(std::hint::black_box(interp), me);
    out
}

/// Back with the GIL: make this thread's state the interpreter's.
fn resume<H: Host + ?Sized>(interp: &mut H, me: u32) {
    if interp.thread.index != me {
        interp.switch_thread(me);
    }
}

/// Until stdin has input (or is closed), let the other threads run: the
/// REPL calls this before it reads piped input.
pub fn await_input<H: Host + ?Sized>(interp: &mut H) {
    if ACTIVE.load(Relaxed) {
        unlocked(interp, || {
            let mut pfd = libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut pfd, 1, -1) }
        });
    }
}

/// Let the other threads run, if any waits for the GIL.
pub fn yield_now<H: Host + ?Sized>(interp: &mut H) {
    if !ACTIVE.load(Relaxed) || FROZEN.load(Relaxed) {
        return;
    }
    if NEXT.load(Relaxed).wrapping_sub(SERVING.load(Relaxed)) > 1 {
        let me = interp.thread.index;
        release();
        acquire();
        resume(std::hint::black_box(interp), me);
    }
}

/// At a safe point (`ANY_PENDING` was set): yield if a thread asked for
/// the GIL, or if a signal waits for the main thread. True when the caller
/// is a thread other than the main one, which leaves signals alone.
pub fn switch_point<H: Host + ?Sized>(interp: &mut H) -> bool {
    if !ACTIVE.load(Relaxed) {
        return false;
    }
    let asked = DROP_REQUEST.swap(false, AcqRel);
    let not_main = interp.thread.index != 0;
    let for_main = not_main && signals::settle_pending();
    if asked || for_main {
        yield_now(interp);
    }
    not_main
}

/// A thread as a script sees it (`t`, `current_thread()`).
#[derive(Debug)]
pub struct ThreadRec {
    pub index: u32,
    pub name: RefCell<String>,
    pub daemon: bool,
    /// The OS thread id, once it runs.
    pub ident: Cell<i32>,
    pub slot: Cell<u32>,
    /// 1 once the thread has ended (a futex word joiners wait on).
    done: AtomicU32,
}

impl ThreadRec {
    fn new(index: u32, name: String, daemon: bool, ident: i32, slot: u32) -> Rc<ThreadRec> {
        Rc::new(ThreadRec {
            index,
            name: RefCell::new(name),
            daemon,
            ident: Cell::new(ident),
            slot: Cell::new(slot),
            done: AtomicU32::new(0),
        })
    }

    pub fn is_alive(&self) -> bool {
        self.done.load(Acquire) == 0
    }

    pub fn describe(&self) -> String {
        let state = if self.is_alive() { "started" } else { "stopped" };
        let daemon = if self.daemon { " daemon" } else { "" };
        format!("<thread {} {state} ident={}{daemon}>", self.name.borrow(), self.ident.get())
    }
}

/// An OS thread of the pool: runs one script thread after another.
struct Worker {
    /// 0: idle, 1: a job is ready, 2: starting (not yet at its parking place).
    word: AtomicU32,
    job: UnsafeCell<Option<Job>>,
}

/// What a worker runs: a script thread, from start to end, under the GIL.
type Job = Box<dyn FnOnce(&Arc<Worker>)>;

// SAFETY: `job` is written by the GIL holder before `word` becomes 1
// (Release) and taken by the worker after it saw 1 (Acquire) and took the
// GIL; the job (and the values it holds) is only touched under the GIL.
unsafe impl Send for Worker {}
// SAFETY: as above; `word` is atomic.
unsafe impl Sync for Worker {}

/// The threads of this process (shared state, under the GIL).
#[derive(Default)]
pub struct Threads {
    live: Vec<Rc<ThreadRec>>,
    main: Option<Rc<ThreadRec>>,
    started: u32,
    idle: Vec<Arc<Worker>>,
}

impl std::fmt::Debug for Threads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Threads({} live)", self.live.len())
    }
}

/// The main thread's record (made when first asked for).
fn main_rec(interp: &mut (impl Host + ?Sized)) -> Rc<ThreadRec> {
    let pid = interp.process.pid;
    let slot = interp.rt.slot;
    interp.threads.main.get_or_insert_with(|| ThreadRec::new(0, "MainThread".into(), false, pid, slot)).clone()
}

/// The thread running now.
pub fn current(interp: &mut (impl Host + ?Sized)) -> Rc<ThreadRec> {
    let me = interp.thread.index;
    match interp.threads.live.iter().find(|t| t.index == me) {
        Some(t) => t.clone(),
        None => main_rec(interp),
    }
}

/// Start a script thread running `run`; its handle. `run` gives back the
/// error that ended the thread, if any.
pub fn start<H: Host + 'static>(
    interp: &mut H,
    daemon: bool,
    run: impl FnOnce(&mut H) -> Option<Box<ErrorObj>> + 'static,
) -> R<Rc<ThreadRec>> {
    process::start(interp);
    let index = interp.threads.started + 1;
    let name = format!("Thread-{index}");
    let slot = table::reserve_thread(&name, daemon).ok_or_else(|| {
        ErrorObj::new(ErrorKind::ProcessError, "cannot start a thread: the process table is full")
            .with_help("join finished threads and processes first, or raise the limit with --max-procs N")
    })?;
    interp.threads.started = index;
    main_rec(interp);
    if !ACTIVE.swap(true, SeqCst) {
        save_main_mask();
    }
    let rec = ThreadRec::new(index, name, daemon, 0, slot);
    interp.threads.live.push(rec.clone());
    let ptr: *mut H = interp;
    let own = rec.clone();
    let job: Job = Box::new(move |worker: &Arc<Worker>| {
        // SAFETY: the interpreter outlives every thread (threads are joined
        // or frozen before it ends), and this runs under the GIL.
        let interp = unsafe { &mut *ptr };
        run_thread(interp, &own, worker, run);
    });
    if let Err(e) = launch(interp, job) {
        interp.threads.live.retain(|t| !Rc::ptr_eq(t, &rec));
        table::free(slot);
        return Err(e);
    }
    trace::op(interp, "thread start", Span::default());
    Ok(rec)
}

/// A script thread from start to end, on its worker, under the GIL.
fn run_thread<H: Host>(
    interp: &mut H,
    rec: &Rc<ThreadRec>,
    worker: &Arc<Worker>,
    run: impl FnOnce(&mut H) -> Option<Box<ErrorObj>>,
) {
    interp.switch_thread(rec.index);
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    interp.thread = ThreadIdent { index: rec.index, tid };
    interp.rt.slot = rec.slot.get();
    rec.ident.set(tid);
    table::set_pid(rec.slot.get(), tid);
    trace::thread_started(&rec.name.borrow(), tid);
    let owner = process::my_pid();
    let err = run(interp);
    if process::my_pid() != owner {
        // `fork()` in this thread: it is now the only thread of a child,
        // whose code has ended.
        let code = err.as_ref().map_or(0, |e| e.exit_code());
        if let Some(e) = err {
            super::output::eprint(&interp.render_error(&interp.own(e)));
        }
        process::leave(interp, code);
    }
    if let Some(e) = err {
        let e = interp.own(e);
        let text = format!("Exception in thread {}:\n{}", rec.name.borrow(), interp.render_error(&e));
        super::output::eprint(&text);
    }
    trace::thread_ended();
    table::free(rec.slot.get());
    rec.done.store(1, Release);
    futex::wake(&rec.done, i32::MAX);
    interp.threads.live.retain(|t| !Rc::ptr_eq(t, rec));
    interp.thread.index = ENDED;
    interp.threads.idle.push(worker.clone());
}

/// Give `job` to an idle worker, or to a new OS thread.
fn launch(interp: &mut (impl Host + ?Sized), job: Job) -> R<()> {
    if let Some(w) = interp.threads.idle.pop() {
        // SAFETY: an idle worker does not look at `job` until `word` is 1.
        unsafe { *w.job.get() = Some(job) };
        w.word.store(1, Release);
        futex_wake_private(&w.word, 1);
        return Ok(());
    }
    let w = Arc::new(Worker { word: AtomicU32::new(2), job: UnsafeCell::new(Some(job)) });
    let own = w.clone();
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || worker_main(own))
        .map_err(|e| ErrorObj::new(ErrorKind::ProcessError, format!("cannot start a thread: {e}")))?;
    OS_THREADS.fetch_add(1, Relaxed);
    // Until it is parked, the new thread may be in the standard library's
    // start-up code (which allocates): no fork before that.
    while w.word.load(Acquire) == 2 {
        futex_wait_private(&w.word, 2, None);
    }
    Ok(())
}

/// An OS thread of the pool. From its first line on it allocates nothing
/// without the GIL, and it never returns (so never runs thread-exit code).
fn worker_main(w: Arc<Worker>) {
    block_signals();
    w.word.store(1, Release);
    futex_wake_private(&w.word, i32::MAX);
    loop {
        while w.word.load(Acquire) == 0 {
            futex_wait_private(&w.word, 0, None);
        }
        w.word.store(0, Relaxed);
        acquire();
        // SAFETY: see `Worker`: the job was stored before `word` became 1.
        if let Some(job) = unsafe { (*w.job.get()).take() } {
            job(&w);
        }
        release();
    }
}

/// The main thread's signal mask, for a child forked by another thread.
static MAIN_MASK: std::sync::OnceLock<MaskCell> = std::sync::OnceLock::new();
struct MaskCell(libc::sigset_t);
// SAFETY: a plain bit set, written once.
unsafe impl Send for MaskCell {}
// SAFETY: as above.
unsafe impl Sync for MaskCell {}

fn save_main_mask() {
    // SAFETY: reading this thread's mask into a local set.
    let mask = unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_SETMASK, std::ptr::null(), &mut old);
        old
    };
    let _ = MAIN_MASK.set(MaskCell(mask));
}

/// Threads leave signals to the main thread, whose waits they interrupt.
fn block_signals() {
    // SAFETY: plain sigset calls on a local set.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
    }
}

/// In a child just forked (by any thread): the forking thread is the only
/// one, and the main one; the GIL is its, with nobody waiting.
pub fn after_fork(interp: &mut (impl Host + ?Sized)) {
    let was_thread = interp.thread.index != 0;
    if ACTIVE.load(Relaxed) {
        interp.forget_threads();
    }
    interp.threads = Threads::default();
    interp.thread = ThreadIdent { index: 0, tid: interp.process.pid };
    ACTIVE.store(false, Relaxed);
    FROZEN.store(false, Relaxed);
    DROP_REQUEST.store(false, Relaxed);
    SERVING.store(0, Relaxed);
    NEXT.store(1, Relaxed);
    OS_THREADS.store(0, Relaxed);
    if was_thread {
        if let Some(m) = MAIN_MASK.get() {
            signals::restore_mask(&m.0);
        }
    }
}

/// The main code has ended: wait for the threads that are not daemons
/// (what stopped the waiting, if anything did), then keep the GIL for good.
pub fn join_all(interp: &mut (impl Host + ?Sized)) -> Option<Box<ErrorObj>> {
    if !ACTIVE.load(Relaxed) || interp.thread.index != 0 {
        return None;
    }
    let mut ended = None;
    while !interp.rt.interrupted {
        let next = interp.threads.live.iter().find(|t| !t.daemon && t.is_alive()).cloned();
        let Some(t) = next else { break };
        if let Err(e) = wait_done(interp, &t, None, WaitKind::Threads, Span::default()) {
            ended = Some(e);
            break;
        }
    }
    freeze();
    ended
}

/// Keep the GIL from now on: daemon threads never run again.
pub fn freeze() {
    if ACTIVE.load(Relaxed) {
        FROZEN.store(true, SeqCst);
    }
}

/// Wait until `t` has ended or `timeout` passed; whether it ended.
fn wait_done(
    interp: &mut (impl Host + ?Sized),
    t: &ThreadRec,
    timeout: Option<f64>,
    kind: WaitKind,
    span: Span,
) -> R<bool> {
    if !t.is_alive() {
        return Ok(true);
    }
    let deadline = super::wait::deadline_of(timeout);
    let _rec = super::wait::begin(interp, kind, span, t.ident.get() as u64, timeout.is_some())?;
    while t.is_alive() {
        if !futex::wait_until(interp, &t.done, 0, deadline)? {
            return Ok(!t.is_alive());
        }
    }
    Ok(true)
}

/// `t.join(timeout)`.
fn join(interp: &mut (impl Host + ?Sized), t: &Rc<ThreadRec>, a: &Args) -> R<Value> {
    a.check(0, 1, &["timeout"])?;
    let timeout = match a.opt(0, "timeout") {
        None | Some(Value::Nil) => None,
        Some(v) => super::wait::timeout_secs(value::expect_float(v, "join", "timeout")?, "join")?,
    };
    if t.index == interp.thread.index {
        return Err(ErrorObj::new(ErrorKind::Deadlock, "cannot join the current thread: it would wait forever"));
    }
    wait_done(interp, t, timeout, WaitKind::Join, a.span)?;
    Ok(Value::Nil)
}

pub const TABLE: Table =
    Table { methods: &[Member::Join, Member::IsAlive], fields: &[Member::Name, Member::Ident, Member::Daemon] };
/// A `local()` has only the attributes threads set on it.
pub const LOCAL_TABLE: Table = Table { methods: &[], fields: &[] };

/// Methods of a thread handle.
pub fn call_method(interp: &mut (impl Host + ?Sized), t: &Rc<ThreadRec>, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Join => join(interp, t, a),
        Member::IsAlive => {
            a.check(0, 0, &[])?;
            Ok(Value::Bool(t.is_alive()))
        }
        _ => Err(super::no_method(&Handle::Thread(t.clone()), m)),
    }
}

pub fn field_get(t: &ThreadRec, m: &Member) -> Option<Value> {
    Some(match m {
        Member::Name => Value::str(&t.name.borrow()),
        Member::Ident => Value::Int(t.ident.get() as i64),
        Member::Daemon => Value::Bool(t.daemon),
        _ => return None,
    })
}

pub fn field_set(interp: &mut (impl Host + ?Sized), t: &ThreadRec, m: &Member, v: &Value) -> R<()> {
    match m {
        Member::Name => {
            let s = value::expect_str(v, "thread.name", "the name")?;
            *t.name.borrow_mut() = s.to_string();
            if t.index != 0 && t.is_alive() {
                table::set_name_at(t.slot.get(), &s);
                trace::renamed(t.ident.get(), &s);
            }
            let _ = interp;
            Ok(())
        }
        Member::Ident | Member::Daemon => {
            Err(ErrorObj::new(ErrorKind::AttributeError, format!("thread.{m} is read-only")))
        }
        _ => Err(ErrorObj::new(ErrorKind::AttributeError, format!("thread has no field `{m}`"))),
    }
}

/// `local()`: attributes each thread sets and sees for itself.
#[derive(Debug, Default)]
pub struct Local {
    by_thread: RefCell<rustc_hash::FxHashMap<u32, Vec<(Str, Value)>>>,
}

impl Local {
    pub fn get(&self, interp: &(impl Host + ?Sized), name: &str) -> R<Value> {
        let me = interp.thread.index;
        let map = self.by_thread.borrow();
        match map.get(&me).and_then(|fields| fields.iter().find(|(k, _)| &**k == name)) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(ErrorObj::new(
                ErrorKind::AttributeError,
                format!("this thread has set no attribute `{name}` on this local() object"),
            )
            .with_help("each thread sees only the attributes it set itself")),
        }
    }

    pub fn set(&self, interp: &(impl Host + ?Sized), name: &str, v: Value) {
        let me = interp.thread.index;
        let mut map = self.by_thread.borrow_mut();
        let fields = map.entry(me).or_default();
        match fields.iter_mut().find(|(k, _)| &**k == name) {
            Some((_, old)) => *old = v,
            None => fields.push((name.into(), v)),
        }
    }
}

pub const BUILTINS: &[(&str, BuiltinFn)] = &[
    ("current_thread", current_thread),
    ("local", new_local),
    ("setswitchinterval", setswitchinterval),
    ("getswitchinterval", getswitchinterval),
];

fn current_thread(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 0, &[])?;
    Ok(Value::Handle(Handle::Thread(current(interp))))
}

fn new_local(_: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 0, &[])?;
    Ok(Value::Handle(Handle::Local(Rc::new(Local::default()))))
}

/// `setswitchinterval(secs)`: how long a thread runs before it lets another
/// waiting thread have the GIL (Python's `sys.setswitchinterval`).
fn setswitchinterval(_: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(1, 1, &[])?;
    let secs = value::expect_float(a.get(0), "setswitchinterval", "the interval")?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(ErrorObj::new(
            ErrorKind::ValueError,
            format!("setswitchinterval(): the interval must be above 0 and at most 3600 seconds, not {secs}"),
        ));
    }
    INTERVAL_NS.store(((secs * 1e9) as u64).max(1_000), Relaxed);
    Ok(Value::Nil)
}

fn getswitchinterval(_: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(0, 0, &[])?;
    Ok(Value::Float(INTERVAL_NS.load(Relaxed) as f64 / 1e9))
}
