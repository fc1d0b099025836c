//! Processes: `spawn` (fork a child that runs a function or block and
//! leaves with `_exit`), process handles (join, terminate, kill, exitcode),
//! reaping, the end-of-program routine, and the low-level `fork`/`wait`.
//!
//! Invariants: only the thread holding the GIL forks (see thread.rs: every
//! other thread is parked holding nothing); a child starts
//! by forgetting its parent's children and pending signals; every child is
//! reaped by its parent (join, an opportunistic reap, or `finish`), and the
//! main process is a child subreaper so orphaned grandchildren are reaped
//! too. A spawned child dies with its parent (PR_SET_PDEATHSIG); the
//! guardian (`guardian.rs`) ends the rest if the main process is killed.
//!
//! Ending: a process whose code has ended terminates its daemons, then
//! waits for its other children (a deadlock there is reported like any
//! other). Termination escalates: SIGTERM, then after `GRACE` SIGKILL,
//! said on stderr with the process's name.

use super::table::{self, State, WaitKind};
use super::{no_field, no_method, pool, signals, timeout_arg, trace, wait, Handle, Table};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Host;
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{Args, Value};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, ForkResult, Pid};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicI32, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// How long a process has to end after SIGTERM before it gets SIGKILL.
pub const GRACE: Duration = Duration::from_secs(1);

use crate::diagnostics::R;

/// A process of the program, as seen by the process that holds the handle.
#[derive(Debug)]
pub struct ProcessHandle {
    pub pid: i32,
    pub slot: u32,
    pub name: RefCell<String>,
    pub daemon: bool,
    /// `None` while running (or not yet reaped).
    pub exitcode: Cell<Option<i32>>,
    /// The pid of the process that spawned it: only it can join.
    pub parent: i32,
}

impl ProcessHandle {
    /// The handle of a process still running (its exitcode not known yet).
    pub fn running(pid: i32, slot: u32, name: String, daemon: bool, parent: i32) -> Rc<ProcessHandle> {
        Rc::new(ProcessHandle { pid, slot, name: RefCell::new(name), daemon, exitcode: Cell::new(None), parent })
    }
}

/// A child this process must reap.
#[derive(Debug)]
pub struct Child {
    pub pid: i32,
    pub slot: u32,
    pub daemon: bool,
    /// `None` for a child made by the low-level `fork()`.
    pub handle: Option<Rc<ProcessHandle>>,
}

/// Per-process runtime state: children, counters, options.
#[derive(Debug)]
pub struct Runtime {
    pub children: Vec<Child>,
    /// How many processes this one has spawned (for `Process-N` names).
    pub spawned: u32,
    /// This process's slot in the process table.
    pub slot: u32,
    pub max_procs: usize,
    pub tag: bool,
    /// Whether this process was forked by the program (not the main one).
    pub is_child: bool,
    /// User `signal()` handlers by signal number.
    pub handlers: Vec<(i32, Value)>,
    pub started: bool,
    /// Ctrl-C or SIGTERM reached the main process: at the end its children
    /// are terminated, not waited for.
    pub interrupted: bool,
    /// Pools this process made and has not joined yet (closed at the end).
    pub pools: Vec<Rc<super::pool::Pool>>,
    /// `--trace` / `--timeline` files, written at the end of the main process.
    pub trace: super::trace::Outputs,
    /// This process was started by `spawn daemon` (it cannot have children).
    pub daemon: bool,
    /// Children that ended abnormally: (name, pid, exitcode), for deadlock
    /// reports (a consumer stuck because its producer died).
    pub died: Vec<(String, i32, i32)>,
    /// Globals a pool worker's initializer set: this process's own, so a
    /// received function uses them instead of the values it was sent with.
    pub own_globals: Vec<crate::value::Str>,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime {
            children: Vec::new(),
            spawned: 0,
            slot: 0,
            max_procs: 256,
            tag: false,
            is_child: false,
            handlers: Vec::new(),
            started: false,
            interrupted: false,
            pools: Vec::new(),
            trace: Default::default(),
            daemon: false,
            died: Vec::new(),
            own_globals: Vec::new(),
        }
    }
}

/// This process's pid, cached: `getpid` is a system call, and spawn, join
/// and every pool call ask. Set again by a forked child (`become_child`).
static MY_PID: AtomicI32 = AtomicI32::new(0);

pub fn my_pid() -> i32 {
    match MY_PID.load(Relaxed) {
        0 => {
            let pid = std::process::id() as i32;
            MY_PID.store(pid, Relaxed);
            pid
        }
        pid => pid,
    }
}

/// Decode a wait status as an exitcode: the code, or -N for signal N.
fn exitcode_of(status: WaitStatus) -> Option<i32> {
    match status {
        WaitStatus::Exited(_, code) => Some(code),
        WaitStatus::Signaled(_, sig, _) => Some(-(sig as i32)),
        _ => None,
    }
}

/// Map the process table and set up this (main) process. Idempotent.
pub fn start(interp: &mut (impl Host + ?Sized)) {
    if interp.rt.started {
        return;
    }
    interp.rt.started = true;
    table::init(interp.rt.max_procs.max(1) + 1, &interp.process.name);
    // The arena must exist before the first fork so every process shares it.
    super::shm::init(interp.rt.max_procs.max(1) + 1);
    // So is the depot sockets travel through (fdpass.rs).
    super::fdpass::init();
    // SAFETY: plain prctl; lets the main process reap orphaned grandchildren.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
    signals::install_interrupt();
    // SIGTERM and SIGHUP end the main process the same way, so children
    // made with the low-level fork() are not left behind.
    signals::catch(libc::SIGTERM);
    signals::catch(libc::SIGHUP);
    super::guardian::start(thread_count());
}

fn child_name(interp: &(impl Host + ?Sized)) -> String {
    let n = interp.rt.spawned;
    if interp.rt.is_child {
        // Python names a grandchild `Process-2:1`.
        let base = interp.process.name.trim_start_matches("Process-");
        format!("Process-{base}:{n}")
    } else {
        format!("Process-{n}")
    }
}

/// Fork. In the child, `run` computes the exit code and the child leaves
/// (it never returns here); in the parent, the new process's handle.
pub fn spawn<H: Host + ?Sized>(interp: &mut H, daemon: bool, run: impl FnOnce(&mut H) -> i32) -> R<Value> {
    if interp.rt.daemon {
        // Python's rule: a daemon is ended with its parent's code, so
        // children of its own would be orphaned.
        return Err(ErrorObj::new(ErrorKind::ProcessError, "daemonic processes are not allowed to have children")
            .with_help("spawn the workers from a process that is not a daemon"));
    }
    reap_finished(interp);
    let name = child_name_for(interp, "spawn");
    let parent = my_pid();
    match fork_child(interp, name.clone(), daemon, "spawn")? {
        Forked::Child => {
            // SAFETY: plain prctl: a spawned child dies with its parent.
            unsafe {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            }
            if nix::unistd::getppid().as_raw() != parent {
                exit_now(1);
            }
            stdin_from_dev_null();
            // A bug in the interpreter must never unwind a child back into its
            // parent's code: end the child instead.
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(interp))).unwrap_or(101);
            leave(interp, code)
        }
        Forked::Parent { pid, slot } => {
            let handle = ProcessHandle::running(pid, slot, name, daemon, parent);
            interp.rt.children.push(Child { pid, slot, daemon, handle: Some(handle.clone()) });
            Ok(Value::Handle(Handle::Process(handle)))
        }
    }
}

/// The two sides of a fork.
enum Forked {
    Child,
    Parent { pid: i32, slot: u32 },
}

fn child_name_for(interp: &mut (impl Host + ?Sized), what: &str) -> String {
    interp.rt.spawned += 1;
    if what == "fork" {
        format!("Fork-{}", interp.rt.spawned)
    } else {
        child_name(interp)
    }
}

/// Fork a process of the program: check `--max-procs`, enter it in the
/// process table, and in the child forget the parent's state.
fn fork_child(interp: &mut (impl Host + ?Sized), name: String, daemon: bool, what: &str) -> R<Forked> {
    start(interp);
    // The script's own threads are parked where they hold nothing
    // (thread.rs): only other threads (a host's) make fork unsafe.
    let threads = settled_thread_count().saturating_sub(super::thread::os_threads());
    if threads > 1 {
        // A child would inherit locks held by threads that do not exist in
        // it and could hang on its first print: refuse.
        return Err(ErrorObj::new(
            ErrorKind::ProcessError,
            format!("cannot {what}: the process has {threads} threads, and fork is only safe with one"),
        )
        .with_help("a host program must not run other threads while a script spawns"));
    }
    let alive = table::live_count().saturating_sub(1);
    if alive >= interp.rt.max_procs {
        return Err(ErrorObj::new(
            ErrorKind::ProcessError,
            format!("cannot {what}: {alive} processes are already alive (--max-procs {})", interp.rt.max_procs),
        )
        .with_help("join finished processes first, or raise the limit with --max-procs N"));
    }
    let slot = table::reserve(&name, daemon).ok_or_else(|| {
        ErrorObj::new(ErrorKind::ProcessError, format!("cannot {what}: the process table is full"))
            .with_help("raise the limit with --max-procs N")
    })?;
    let child_seed = interp.rng.u64(..);
    super::explore::before_fork(interp).inspect_err(|_| table::free(slot))?;
    // Signals wait until the child has forgotten the parent's handlers, so
    // none sent right after the fork is swallowed or misdirected.
    let mask = signals::block_all();
    // SAFETY: no other thread can hold a lock the child needs (the
    // script's threads are parked holding nothing, thread.rs; foreign
    // threads were refused above), and printing writes straight to the
    // fd, so no userspace buffer is duplicated.
    let forked = unsafe { fork() };
    // The parent unblocks signals only once the child is in the table, so
    // `--timeout` (which kills what the table lists) cannot miss it.
    match forked {
        Err(e) => {
            signals::restore_mask(&mask);
            super::explore::forked(None);
            table::free(slot);
            Err(ErrorObj::new(ErrorKind::ProcessError, format!("{what} failed: {e}")))
        }
        Ok(ForkResult::Child) => {
            become_child(interp, slot, name, child_seed, daemon);
            signals::restore_mask(&mask);
            super::explore::child_started(interp);
            super::thread::after_fork(interp);
            Ok(Forked::Child)
        }
        Ok(ForkResult::Parent { child }) => {
            table::set_pid(slot, child.as_raw());
            super::explore::forked(Some(child.as_raw()));
            signals::restore_mask(&mask);
            trace::spawned(&name, child.as_raw());
            Ok(Forked::Parent { pid: child.as_raw(), slot })
        }
    }
}

/// A spawned child (or pool worker) reads its stdin from /dev/null, as
/// in Python's multiprocessing: `input()` there sees the end of input.
fn stdin_from_dev_null() {
    // SAFETY: plain open/dup2/close on fds this process owns.
    unsafe {
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd >= 0 {
            libc::dup2(fd, 0);
            libc::close(fd);
        }
    }
}

/// Threads of this process, once the ones just joined are gone: a joined
/// thread (`run()`'s pipe readers) leaves the kernel's count a moment after
/// `join` returns, so a count above one is looked at again for up to 50 ms.
fn settled_thread_count() -> usize {
    let mut threads = thread_count();
    let mut tries = 0;
    while threads > 1 + super::thread::os_threads() && tries < 50 {
        std::thread::sleep(std::time::Duration::from_millis(1));
        threads = thread_count();
        tries += 1;
    }
    threads
}

/// Threads of this process (field 20 of /proc/self/stat); 1 if unknown.
/// One read into a stack buffer: this runs before every fork.
fn thread_count() -> usize {
    use std::io::Read;
    let mut buf = [0u8; 1024];
    let n = std::fs::File::open("/proc/self/stat").and_then(|mut f| f.read(&mut buf)).unwrap_or(0);
    std::str::from_utf8(&buf[..n])
        .ok()
        .and_then(|stat| stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(17)?.parse().ok()))
        .unwrap_or(1)
}

/// The first thing a forked child does: forget the parent's children and
/// signals, take its own name, and reseed `rand*`.
fn become_child(interp: &mut (impl Host + ?Sized), slot: u32, name: String, seed: u64, daemon: bool) {
    let pid = std::process::id() as i32;
    MY_PID.store(pid, Relaxed);
    // Only the main process keeps the guardian's pipe open and enforces
    // `--timeout`.
    super::guardian::forget_in_child();
    signals::forget_timeout();
    interp.rt.daemon = daemon;
    interp.rt.died.clear();
    table::set_pid(slot, pid);
    trace::started(&name, pid);
    interp.rt.trace = Default::default();
    interp.rt.children.clear();
    interp.rt.pools.clear();
    interp.rt.spawned = 0;
    interp.rt.slot = slot;
    super::shm::set_slot(slot);
    interp.rt.is_child = true;
    // A child starts without the parent's `signal()` handlers; give those
    // signals back their default action, or the child would swallow them.
    for (sig, _) in interp.rt.handlers.drain(..) {
        if sig != libc::SIGINT {
            signals::set_default(sig);
        }
    }
    interp.process.name = name;
    interp.process.pid = pid;
    // `p.terminate()` ends a child at once, as in Python: only the main
    // process turns SIGTERM/SIGHUP into an orderly end.
    signals::set_default(libc::SIGTERM);
    signals::set_default(libc::SIGHUP);
    signals::clear();
    // A child's stream is reproducible under --seed and distinct per child.
    interp.rng = match interp.seed {
        Some(_) => fastrand::Rng::with_seed(seed),
        None => fastrand::Rng::with_seed(seed ^ ((pid as u64) << 32) ^ nanos()),
    };
}

fn nanos() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos() as u64)
}

/// End this forked process: wait for its own children, mark it exited,
/// and `_exit` without running the parent's exit handlers.
pub fn leave(interp: &mut (impl Host + ?Sized), mut code: i32) -> ! {
    if let Some(e) = finish(interp) {
        let e = interp.own(e);
        super::output::eprint(&interp.render_error(&e));
        if code == 0 {
            code = e.exit.unwrap_or(1);
        }
    }
    super::explore::exit();
    trace::exited(code);
    table::set_exited(interp.rt.slot, code);
    exit_now(code)
}

pub fn exit_now(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: _exit ends the process at once, as a forked child must.
    unsafe { libc::_exit(code) }
}

/// Record a reaped child's status.
fn record(interp: &mut (impl Host + ?Sized), pid: i32, code: i32) {
    trace::reaped(pid, code);
    super::explore::reaped(pid);
    if let Some(i) = interp.rt.children.iter().position(|c| c.pid == pid) {
        let c = interp.rt.children.remove(i);
        if let Some(h) = &c.handle {
            h.exitcode.set(Some(code));
        }
        if code != 0 && !interp.rt.is_child {
            interp.rt.died.push((name_of(&c), pid, code));
        }
        // Arena blocks it held on its own (a kill mid-put) come back.
        // SAFETY: the child is reaped: nothing uses the blocks it owned.
        unsafe { super::shm::reclaim(c.slot) };
        table::free(c.slot);
        table::free_threads_of(pid);
    } else {
        // An orphaned grandchild this (main) process adopted.
        free_slot_of(pid);
    }
}

fn free_slot_of(pid: i32) {
    if let Some(e) = table::snapshot().into_iter().find(|e| e.pid == pid && !e.thread) {
        // SAFETY: the adopted process is reaped: its blocks are unused.
        unsafe { super::shm::reclaim(e.slot) };
        table::free(e.slot);
        table::free_threads_of(pid);
    }
}

/// Reap children that have ended, without blocking: keeps zombies from
/// piling up in programs that spawn many processes and never join.
pub fn reap_finished(interp: &mut (impl Host + ?Sized)) {
    let has_forked = interp.rt.children.iter().any(|c| c.handle.is_none());
    if has_forked {
        // Leave `fork()` children for the script's own wait().
        let pids: Vec<i32> = interp.rt.children.iter().filter(|c| c.handle.is_some()).map(|c| c.pid).collect();
        for pid in pids {
            try_reap(interp, pid);
        }
        return;
    }
    while let Ok(status) = waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
        match (status.pid(), exitcode_of(status)) {
            (Some(pid), Some(code)) => record(interp, pid.as_raw(), code),
            _ => break,
        }
    }
}

/// Reap `pid` if it has ended; its exitcode then.
fn try_reap(interp: &mut (impl Host + ?Sized), pid: i32) -> Option<i32> {
    match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
        Ok(status) => {
            let code = exitcode_of(status)?;
            record(interp, pid, code);
            Some(code)
        }
        Err(_) => None,
    }
}

/// The name a child is known by, for messages.
fn name_of(c: &Child) -> String {
    match &c.handle {
        Some(h) => h.name.borrow().clone(),
        None => table::snapshot().into_iter().find(|e| e.pid == c.pid).map_or_else(|| "Fork".into(), |e| e.name),
    }
}

/// Block until `pid` ends (or `timeout` passes); its exitcode if it ended.
pub fn wait_child(interp: &mut (impl Host + ?Sized), pid: i32, timeout: Option<f64>, span: Span) -> R<Option<i32>> {
    wait_child_as(interp, pid, timeout, WaitKind::Join, span)
}

fn wait_child_as(
    interp: &mut (impl Host + ?Sized),
    pid: i32,
    timeout: Option<f64>,
    kind: WaitKind,
    span: Span,
) -> R<Option<i32>> {
    let code = match try_reap(interp, pid) {
        Some(code) => Some(code),
        None => {
            let status = wait::pid(interp, pid, timeout, kind, span)?;
            let code = status.and_then(exitcode_of);
            if let Some(code) = code {
                record(interp, pid, code);
            }
            code
        }
    };
    // A signal that came with the child's end (Ctrl-C reaches the whole
    // group: the child dies of it as the wait returns) is raised now,
    // before the join returns.
    if signals::ANY_PENDING.load(Relaxed) {
        super::safe_point(interp)?;
    }
    Ok(code)
}

fn own_child(interp: &(impl Host + ?Sized), h: &ProcessHandle) -> R<()> {
    if h.parent != my_pid() || !interp.rt.children.iter().any(|c| c.pid == h.pid) && h.exitcode.get().is_none() {
        return Err(ErrorObj::new(
            ErrorKind::ProcessError,
            format!("can only join a child process ({} was started by pid {})", h.name.borrow(), h.parent),
        ));
    }
    Ok(())
}

pub fn join(interp: &mut (impl Host + ?Sized), h: &ProcessHandle, timeout: Option<f64>, span: Span) -> R<()> {
    if h.exitcode.get().is_some() {
        return Ok(());
    }
    own_child(interp, h)?;
    if h.pid == my_pid() {
        return Err(ErrorObj::new(ErrorKind::ProcessError, "a process cannot join itself"));
    }
    wait_child(interp, h.pid, timeout, span)?;
    Ok(())
}

/// `p.exitcode`, reaping if it has ended.
pub fn exitcode(interp: &mut (impl Host + ?Sized), h: &ProcessHandle) -> Option<i32> {
    if h.exitcode.get().is_none() && h.parent == my_pid() {
        try_reap(interp, h.pid);
    }
    h.exitcode.get()
}

pub fn is_alive(interp: &mut (impl Host + ?Sized), h: &ProcessHandle) -> bool {
    if exitcode(interp, h).is_some() {
        return false;
    }
    if h.parent == my_pid() {
        return true;
    }
    // Not our child: ask the process table (a zombie counts as ended).
    table::snapshot().iter().any(|e| e.pid == h.pid && e.state != State::Exited)
}

pub fn send_signal(h: &ProcessHandle, sig: i32) -> R<()> {
    if h.exitcode.get().is_some() {
        return Ok(());
    }
    // SAFETY: plain kill; the pid is not reused while we have not reaped it.
    let r = unsafe { libc::kill(h.pid, sig) };
    if r != 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH) {
        return Err(ErrorObj::new(
            ErrorKind::ProcessError,
            format!("cannot signal pid {}: {}", h.pid, std::io::Error::last_os_error()),
        ));
    }
    super::explore::signalled(h.pid, sig);
    Ok(())
}

/// End of a program (main or child): terminate the
/// daemons (they never outlive the code), then wait for every other child,
/// and reap everything (adopted orphans too). Returns what stopped the
/// waiting early: a deadlock among the children, Ctrl-C or SIGTERM.
pub fn finish(interp: &mut (impl Host + ?Sized)) -> Option<Box<ErrorObj>> {
    let mut ended = None;
    // A signal that came after the last safe point still counts.
    if signals::ANY_PENDING.load(Relaxed) {
        ended = super::safe_point(interp).err();
    }
    // Like Python: the threads that are not daemons are joined first; then
    // the GIL is kept, so daemon threads stop where they are.
    if ended.is_none() {
        ended = super::thread::join_all(interp);
    }
    super::thread::freeze();
    super::pool::finish_all(interp);
    // What this process took from remote queues is done (not after Ctrl-C).
    super::remote::at_exit(interp.rt.interrupted || ended.is_some());
    terminate_where(interp, |c| c.daemon);
    loop {
        if interp.rt.interrupted || ended.is_some() {
            terminate_where(interp, |_| true);
            break;
        }
        let next = interp.rt.children.iter().find(|c| !c.daemon).map(|c| c.pid);
        let Some(pid) = next else { break };
        match wait_child_as(interp, pid, None, WaitKind::Finish, Span::default()) {
            Ok(Some(_)) => {}
            Ok(None) => {
                // Not our child any more (reaped elsewhere): forget it.
                record(interp, pid, -libc::SIGKILL);
            }
            Err(e) => ended = Some(e),
        }
    }
    // A daemon spawned meanwhile (by a signal handler) ends too.
    terminate_where(interp, |_| true);
    if !interp.rt.is_child {
        reap_orphans(interp.rt.interrupted || ended.is_some());
        // Every process has ended: the trace is complete.
        trace::write_outputs(interp);
        super::explore::finish_main();
    }
    ended
}

/// The main process is a subreaper: wait for the orphans it adopted. After
/// Ctrl-C or a deadlock they are ended first (SIGTERM, then SIGKILL).
fn reap_orphans(ending: bool) {
    super::guardian::release();
    if ending {
        // Adopted orphans outside the table too (what a killed command left).
        let signal_all = |sig| {
            table::signal_all_others(sig);
            for pid in own_children() {
                // SAFETY: plain kill of our own (adopted) child.
                unsafe { libc::kill(pid, sig) };
            }
        };
        signal_all(libc::SIGTERM);
        let deadline = Instant::now() + GRACE;
        while Instant::now() < deadline {
            match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) => pause(),
                Ok(status) => reaped_orphan(status),
                Err(_) => return,
            }
        }
        signal_all(libc::SIGKILL);
    }
    loop {
        match waitpid(None::<Pid>, None) {
            Ok(status) => reaped_orphan(status),
            Err(nix::errno::Errno::EINTR) => {
                // Ctrl-C while waiting for orphans: end them.
                if signals::take_pending() & (1 << libc::SIGINT | 1 << libc::SIGTERM | 1 << libc::SIGHUP) != 0 {
                    table::signal_all_others(libc::SIGKILL);
                }
            }
            Err(_) => break,
        }
    }
}

fn reaped_orphan(status: WaitStatus) {
    if let (Some(pid), Some(code)) = (status.pid(), exitcode_of(status)) {
        trace::reaped(pid.as_raw(), code);
        free_slot_of(pid.as_raw());
    }
}

/// A short sleep between looks while children end.
fn pause() {
    std::thread::sleep(Duration::from_millis(5));
}

/// End every remaining child (and the command this process runs): SIGTERM,
/// then SIGKILL after the grace period. Each is reaped.
pub fn terminate_all(interp: &mut (impl Host + ?Sized)) {
    if let Some(group) = table::command_of(my_pid()) {
        // SAFETY: plain kill of the process group of our own command.
        unsafe { libc::kill(-group, libc::SIGKILL) };
    }
    terminate_where(interp, |_| true);
}

/// SIGTERM the children `pick` chooses (and their `run()` commands); those
/// still alive after `GRACE` are killed with SIGKILL, and stderr says so.
fn terminate_where(interp: &mut (impl Host + ?Sized), pick: impl Fn(&Child) -> bool) {
    let targets: Vec<(i32, String)> =
        interp.rt.children.iter().filter(|c| pick(c)).map(|c| (c.pid, name_of(c))).collect();
    if targets.is_empty() {
        return;
    }
    for (pid, _) in &targets {
        signal_with_command(*pid, libc::SIGTERM);
    }
    let deadline = Instant::now() + GRACE;
    let mut left = targets;
    loop {
        left.retain(|(pid, _)| !reap_now(interp, *pid, false));
        if left.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            break;
        }
        pause();
    }
    for (pid, name) in left {
        super::output::eprint(&format!(
            "mpscript: {name} (pid {pid}) did not end within {} s of SIGTERM: killing it (SIGKILL)\n",
            GRACE.as_secs_f64()
        ));
        signal_with_command(pid, libc::SIGKILL);
        reap_now(interp, pid, true);
    }
}

/// Send `sig` to our child `pid` and to its `run()` command's group.
fn signal_with_command(pid: i32, sig: i32) {
    let group = table::command_of(pid);
    // SAFETY: plain kills: our own unreaped child, and its command's group.
    unsafe {
        libc::kill(pid, sig);
        if let Some(g) = group {
            libc::kill(-g, sig);
        }
    }
}

/// Reap our child `pid` (blocking or not); true once it is gone.
fn reap_now(interp: &mut (impl Host + ?Sized), pid: i32, block: bool) -> bool {
    let flags = if block { None } else { Some(WaitPidFlag::WNOHANG) };
    loop {
        return match waitpid(Pid::from_raw(pid), flags) {
            Ok(status) => match exitcode_of(status) {
                Some(code) => {
                    record(interp, pid, code);
                    true
                }
                None => false,
            },
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => {
                // Not ours to wait for any more: forget it.
                record(interp, pid, -libc::SIGTERM);
                true
            }
        };
    }
}

/// Standard output is a pipe whose reader went away (`mpscript x | head`):
/// end as `cat` does, by SIGPIPE (status 141 in a shell, exitcode -13 for
/// a parent), after ending this process's own children.
pub fn die_of_broken_pipe(interp: &mut (impl Host + ?Sized)) -> ! {
    interp.rt.interrupted = true;
    let _ = finish(interp);
    if interp.rt.is_child {
        trace::exited(-libc::SIGPIPE);
    }
    signals::set_default(libc::SIGPIPE);
    // SAFETY: unblock SIGPIPE and raise it with its default action.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(libc::SIGPIPE);
    }
    exit_now(128 + libc::SIGPIPE)
}

/// The low-level `fork()`: 0 in the child, the child's pid in the parent.
pub fn fork_builtin(interp: &mut (impl Host + ?Sized)) -> R<Value> {
    let name = child_name_for(interp, "fork");
    match fork_child(interp, name, false, "fork")? {
        Forked::Child => Ok(Value::Int(0)),
        Forked::Parent { pid, slot } => {
            interp.rt.children.push(Child { pid, slot, daemon: false, handle: None });
            Ok(Value::Int(pid as i64))
        }
    }
}

/// `wait()` / `waitpid(pid)`: `[pid, exitcode]`.
pub fn wait_builtin(interp: &mut (impl Host + ?Sized), pid: Option<i32>, span: Span) -> R<Value> {
    let target = pid.unwrap_or(-1);
    if target > 0 && Some(target) == super::guardian::pid() {
        return Err(ErrorObj::new(
            ErrorKind::ProcessError,
            format!("waitpid(): {target} is not a child of this process"),
        ));
    }
    let known =
        if target > 0 { interp.rt.children.iter().any(|c| c.pid == target) } else { !interp.rt.children.is_empty() };
    if !known && target <= 0 && !has_children_besides_guardian() {
        return Err(ErrorObj::new(ErrorKind::ProcessError, "wait(): this process has no children to wait for"));
    }
    // The main process is a subreaper: orphans it adopted are its children
    // too, though it never forked them. Ask the OS (reaping one that ended).
    let status = match known {
        true => None,
        false => match waitpid(Pid::from_raw(target), Some(WaitPidFlag::WNOHANG)) {
            Ok(st @ (WaitStatus::Exited(..) | WaitStatus::Signaled(..))) => Some(st),
            Ok(_) => None,
            Err(_) if target > 0 => {
                return Err(ErrorObj::new(
                    ErrorKind::ProcessError,
                    format!("waitpid(): {target} is not a child of this process"),
                ))
            }
            Err(_) => {
                return Err(ErrorObj::new(ErrorKind::ProcessError, "wait(): this process has no children to wait for"))
            }
        },
    };
    let status = match status {
        Some(st) => Some(st),
        None => wait::pid(interp, target, None, WaitKind::Child, span)?,
    };
    match status {
        Some(st) => {
            let (Some(p), Some(code)) = (st.pid(), exitcode_of(st)) else {
                return Err(ErrorObj::new(ErrorKind::ProcessError, "wait(): unexpected child status"));
            };
            record(interp, p.as_raw(), code);
            // As for `join`: a Ctrl-C the child died of is raised now.
            if signals::ANY_PENDING.load(Relaxed) {
                super::safe_point(interp)?;
            }
            Ok(Value::list(vec![Value::Int(p.as_raw() as i64), Value::Int(code as i64)]))
        }
        None => Err(ErrorObj::new(ErrorKind::ProcessError, "wait(): interrupted")),
    }
}

/// Whether this process has a child other than the guardian (adopted
/// orphans count).
fn has_children_besides_guardian() -> bool {
    std::fs::metadata("/proc/self/task").is_err() || !own_children().is_empty()
}

/// This process's children but the guardian (adopted orphans count), from
/// /proc/self/task/*/children.
pub(crate) fn own_children() -> Vec<i32> {
    let guardian = super::guardian::pid();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return Vec::new() };
    let mut out = Vec::new();
    for task in tasks.flatten() {
        let Ok(list) = std::fs::read_to_string(task.path().join("children")) else { continue };
        out.extend(list.split_whitespace().filter_map(|p| p.parse::<i32>().ok()).filter(|&p| Some(p) != guardian));
    }
    out
}

/// A process's methods and fields (see `runtime::Table`).
pub const TABLE: Table = Table {
    methods: &[Member::Join, Member::IsAlive, Member::Terminate, Member::Kill],
    fields: &[Member::Pid, Member::Name, Member::Daemon, Member::Exitcode],
};

#[inline(never)]
pub fn call_method(interp: &mut (impl Host + ?Sized), p: &Rc<ProcessHandle>, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Join => {
            a.check(0, 1, &["timeout"])?;
            let timeout = timeout_arg(a, 0)?;
            // A waiting point: due pool callbacks run before and after it.
            if !interp.rt.pools.is_empty() {
                pool::service(interp)?;
            }
            join(interp, p, timeout, a.span)?;
            if !interp.rt.pools.is_empty() {
                pool::service(interp)?;
            }
            Ok(Value::Nil)
        }
        Member::IsAlive => {
            a.check(0, 0, &[])?;
            Ok(Value::Bool(is_alive(interp, p)))
        }
        Member::Terminate => {
            a.check(0, 0, &[])?;
            send_signal(p, libc::SIGTERM).map(|_| Value::Nil)
        }
        Member::Kill => {
            a.check(0, 0, &[])?;
            send_signal(p, libc::SIGKILL).map(|_| Value::Nil)
        }
        _ => Err(no_method(&Handle::Process(p.clone()), m)),
    }
}

pub fn field_get(interp: &mut (impl Host + ?Sized), p: &Rc<ProcessHandle>, m: &Member) -> R<Value> {
    Ok(match m {
        Member::Pid => Value::Int(p.pid as i64),
        Member::Name => Value::str(&p.name.borrow()),
        Member::Daemon => Value::Bool(p.daemon),
        Member::Exitcode => exitcode(interp, p).map_or(Value::Nil, |c| Value::Int(c as i64)),
        _ => return Err(no_field(&Handle::Process(p.clone()), m)),
    })
}

pub fn field_set(interp: &mut (impl Host + ?Sized), p: &ProcessHandle, m: &Member, v: Value) -> R<()> {
    match m {
        Member::Name => {
            let s = crate::value::expect_str(&v, "process.name", "the name")?;
            *p.name.borrow_mut() = s.to_string();
            if p.pid == my_pid() {
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
        Member::Pid | Member::Exitcode | Member::Daemon => {
            Err(ErrorObj::new(ErrorKind::AttributeError, format!("process.{m} is read-only")))
        }
        _ => Err(ErrorObj::new(ErrorKind::AttributeError, format!("process has no field `{m}`"))),
    }
}
