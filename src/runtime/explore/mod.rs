//! `explore` and `replay`: the program's processes run one at a time under
//! a controlled scheduler, and switch only at scheduling points.
//!
//! One token: the runner (a process) holding it runs; every other one
//! sleeps on its own futex word until the token is handed to it. The
//! runtime calls [`point`] at the entry of every primitive operation
//! (handle methods, `lock`/`sem` blocks, shared reads and writes, file
//! operations, `print`, `spawn`); there the runner counts a step and PCT
//! (`pct.rs`) picks who goes on. Blocking never happens in the kernel: a
//! wait becomes a try at each turn ([`wait_for`], [`block`]) — a runner whose
//! try fails is Waiting and is tried again only after another runner made
//! a step (or at its timeout). `sleep` and timeouts use a virtual clock:
//! a sleeper is runnable again when nobody else can run before its wake
//! time, so sleeps take no real time. When nobody can run and nobody
//! sleeps, that is a deadlock, known at once: the main process reports it.
//!
//! Outside `explore`/`replay` every hook is one relaxed load of `ACTIVE`.
//!
//! Determinism: only the token holder runs script code or changes the
//! scheduler's state, so a schedule (`schedule.rs`) gives the same run. A
//! process hands the token on only after its effects are done: an exiting
//! process first closes its file descriptors (pipe ends reach EOF before
//! anyone looks), and a join waits until the scheduler saw the child end.

mod pct;
pub mod schedule;

pub use schedule::Schedule;

use self::pct::{header, Header, RunState, NEVER};
use super::table::WaitKind;
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use crate::runtime::Host;
use crate::syntax::span::Span;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::*};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Whether this process runs under the controlled scheduler.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// This process's runner id.
static ME: AtomicU32 = AtomicU32::new(0);
/// The runner id reserved for the child about to be forked.
static CHILD: AtomicU32 = AtomicU32::new(0);
/// Wall-clock seconds when the run started (bits of an f64): `time()` is
/// this plus the virtual clock.
static START: AtomicU64 = AtomicU64::new(0);
/// Where the main process writes its step count at the end (the explorer
/// draws the next runs' change points from it).
static STEPS_FILE: OnceLock<Option<String>> = OnceLock::new();

/// The environment variable naming that file.
pub const STEPS_ENV: &str = "MPSCRIPT_EXPLORE_STEPS";

/// How long a runner waits for its turn before it looks whether the token
/// holder died without passing the token on (killed from outside).
const WATCH: Duration = Duration::from_millis(250);

thread_local! {
    /// The real deadline of the current timed wait and its virtual wake
    /// time, so every retry of one wait keeps the same virtual deadline.
    static DEADLINE: Cell<Option<(Instant, u64)>> = const { Cell::new(None) };
}

/// Whether this process runs under `explore`/`replay`: one relaxed load.
#[inline]
pub fn on() -> bool {
    ACTIVE.load(Relaxed)
}

/// Run this program under `schedule`: map the scheduler's state with this
/// (main) process holding the token. Call before the first fork.
pub fn start(interp: &mut (impl Host + ?Sized), schedule: Schedule) -> R<()> {
    let capacity = interp.rt.max_procs.max(1) + 1;
    if !pct::init(capacity, schedule.seed, schedule.depth, schedule.k, super::process::my_pid()) {
        return Err(ErrorObj::new(ErrorKind::ProcessError, "cannot map the scheduler's shared memory"));
    }
    let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    START.store(wall.as_secs_f64().to_bits(), Relaxed);
    let _ = STEPS_FILE.set(std::env::var(STEPS_ENV).ok());
    ME.store(0, Relaxed);
    ACTIVE.store(true, Relaxed);
    Ok(())
}

/// Leave the controlled scheduling in this process: the rest of it (after
/// a deadlock report or an interrupt) runs freely.
fn stop() {
    ACTIVE.store(false, Relaxed);
}

fn state() -> &'static Header {
    header().expect("the scheduler's state exists while ACTIVE")
}

fn me() -> u32 {
    ME.load(Relaxed)
}

/// A scheduling point: count a step, then let PCT pick who runs next.
#[inline]
pub fn point(interp: &mut (impl Host + ?Sized)) -> R<()> {
    if on() {
        step(interp)?;
    }
    Ok(())
}

#[cold]
fn step(interp: &mut (impl Host + ?Sized)) -> R<()> {
    let h = state();
    h.step(me());
    let next = h.choose().unwrap_or(me());
    switch(interp, h, next)
}

/// Give the token to `next` (unless it is this runner) and wait until it
/// comes back.
fn switch(interp: &mut (impl Host + ?Sized), h: &Header, next: u32) -> R<()> {
    let me = me();
    if next != me {
        hand(h, next);
        wait_turn(interp, h)?;
    }
    // Chosen (maybe right away, as the earliest sleeper): running again.
    h.runner(me).state.store(RunState::Runnable as u32, SeqCst);
    if me == 0 && h.deadlock.load(SeqCst) != 0 {
        return Err(deadlock_report(interp));
    }
    Ok(())
}

fn hand(h: &Header, next: u32) {
    let r = h.runner(next);
    r.state.store(RunState::Runnable as u32, SeqCst);
    h.current.store(next, SeqCst);
    r.turn.fetch_add(1, SeqCst);
    futex_wake(&r.turn);
}

/// Sleep until this runner holds the token.
fn wait_turn(interp: &mut (impl Host + ?Sized), h: &Header) -> R<()> {
    let me = me();
    let r = h.runner(me);
    loop {
        let t = r.turn.load(SeqCst);
        if h.current.load(SeqCst) == me {
            return Ok(());
        }
        if !futex_wait(&r.turn, t, WATCH) {
            take_over_from_dead(h);
        }
        if super::signals::ANY_PENDING.load(Relaxed) {
            // Ctrl-C or a handler while waiting: an interrupt ends the
            // scheduling here (the run is ending anyway).
            if let Err(e) = super::safe_point(interp) {
                stop();
                return Err(e);
            }
        }
    }
}

/// The token holder died without handing the token on (killed from
/// outside the program): whoever notices first takes the token, marks it
/// ended and lets PCT choose.
#[cold]
fn take_over_from_dead(h: &Header) {
    let cur = h.current.load(SeqCst);
    let pid = h.runner(cur).pid.load(SeqCst);
    if cur == me() || pid <= 0 || alive(pid) {
        return;
    }
    if h.current.compare_exchange(cur, me(), SeqCst, SeqCst).is_ok() {
        h.runner(cur).state.store(RunState::Exited as u32, SeqCst);
        h.step(me());
        match h.choose() {
            Some(next) => hand(h, next),
            None => raise_deadlock(h),
        }
    }
}

/// Alive and not a zombie.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

/// Nobody can run: the main process reports the deadlock. Called by the
/// token holder, which hands the token to main.
fn raise_deadlock(h: &Header) {
    h.deadlock.store(1, SeqCst);
    hand(h, 0);
}

/// A child found that nobody can run: main reports it and ends every
/// other process, this one included, so the wait below does not return.
fn await_report(interp: &mut (impl Host + ?Sized), h: &Header) -> Box<ErrorObj> {
    raise_deadlock(h);
    let _ = wait_turn(interp, h);
    stop();
    ErrorObj::new(ErrorKind::ProgramDeadlock, "every process is waiting and none can ever be woken")
}

fn deadlock_report(interp: &mut (impl Host + ?Sized)) -> Box<ErrorObj> {
    stop();
    super::deadlock::report_now(interp)
}

/// Block until another runner made a step, or (virtually) until `wake`:
/// true means "look again", false that the wake time passed.
fn block_at(interp: &mut (impl Host + ?Sized), wake: u64) -> R<bool> {
    let h = state();
    let me = me();
    let r = h.runner(me);
    r.seen.store(h.steps.load(SeqCst), SeqCst);
    r.wake.store(wake, SeqCst);
    r.state.store(RunState::Waiting as u32, SeqCst);
    match h.choose() {
        Some(next) => switch(interp, h, next)?,
        None if me == 0 => return Err(deadlock_report(interp)),
        None => return Err(await_report(interp, h)),
    }
    r.wake.store(NEVER, SeqCst);
    Ok(wake == NEVER || h.clock.load(SeqCst) < wake)
}

/// The virtual wake time of a wait with a real `deadline` (the same for
/// every retry of one wait).
fn wake_of(deadline: Option<Instant>) -> u64 {
    let Some(d) = deadline else { return NEVER };
    if let Some((seen, wake)) = DEADLINE.get() {
        if seen == d {
            return wake;
        }
    }
    // Whole milliseconds: the microseconds between making the deadline and
    // getting here must not change the schedule.
    let left = d.saturating_duration_since(Instant::now()).as_nanos().div_ceil(1_000_000) as u64 * 1_000_000;
    let wake = state().clock.load(SeqCst).saturating_add(left);
    DEADLINE.set(Some((d, wake)));
    wake
}

fn wake_after(secs: Option<f64>) -> u64 {
    match secs {
        Some(s) if s < super::wait::NO_LIMIT_SECS => {
            state().clock.load(SeqCst).saturating_add((s.max(0.0) * 1e9).round() as u64)
        }
        _ => NEVER,
    }
}

/// One blocking step of a primitive's wait loop under the scheduler:
/// instead of sleeping in the kernel, let others run. True: look again;
/// false: `deadline` has passed (virtually).
pub fn block(interp: &mut (impl Host + ?Sized), deadline: Option<Instant>) -> R<bool> {
    let wake = wake_of(deadline);
    block_at(interp, wake)
}

/// A whole wait: `attempt` until it gives a value, blocking between tries;
/// `None` when `deadline` passed first (after one last try).
pub fn wait_for<H: Host + ?Sized, T>(
    interp: &mut H,
    deadline: Option<Instant>,
    mut attempt: impl FnMut(&mut H) -> R<Option<T>>,
) -> R<Option<T>> {
    loop {
        if let Some(v) = attempt(interp)? {
            return Ok(Some(v));
        }
        if !block(interp, deadline)? {
            return attempt(interp);
        }
    }
}

/// `poll`-style readiness of `fd` (`wait::readable` / `writable`).
pub fn fd_ready(
    interp: &mut (impl Host + ?Sized),
    fd: i32,
    events: libc::c_short,
    deadline: Option<Instant>,
) -> R<bool> {
    let ready = |_: &mut _| {
        let mut pfd = libc::pollfd { fd, events, revents: 0 };
        // SAFETY: one valid pollfd; a zero timeout never blocks.
        Ok((unsafe { libc::poll(&mut pfd, 1, 0) } > 0).then_some(()))
    };
    Ok(wait_for(interp, deadline, ready)?.is_some())
}

/// `sleep(secs)`: no real time passes; the sleeper runs again when nobody
/// else can run before its wake time.
pub fn sleep(interp: &mut (impl Host + ?Sized), secs: f64) -> R<()> {
    let h = state();
    let me = me();
    h.step(me);
    let r = h.runner(me);
    r.wake.store(wake_after(Some(secs)), SeqCst);
    r.state.store(RunState::Sleeping as u32, SeqCst);
    match h.choose() {
        Some(next) => switch(interp, h, next)?,
        None if me == 0 => return Err(deadlock_report(interp)),
        None => return Err(await_report(interp, h)),
    }
    r.wake.store(NEVER, SeqCst);
    Ok(())
}

/// Whether the scheduler runs the process `pid` (`-1`: any child).
pub fn knows(pid: i32) -> bool {
    on() && (pid <= 0 || state().runner_of(pid).is_some())
}

/// A child of this process that the scheduler saw end (`pid`, or any
/// child when `pid <= 0`).
fn ended_child(h: &Header, pid: i32) -> Option<i32> {
    let parent = super::process::my_pid();
    h.runners()
        .iter()
        .find(|r| {
            r.state.load(SeqCst) == RunState::Exited as u32
                && r.ppid.load(SeqCst) == parent
                && (pid <= 0 || r.pid.load(SeqCst) == pid)
        })
        .map(|r| r.pid.load(SeqCst))
}

/// `join`, `wait()`, the end-of-program wait: block until the scheduler
/// saw the child end, then reap it (it is past its last step by then).
pub fn wait_pid(
    interp: &mut (impl Host + ?Sized),
    pid: i32,
    timeout: Option<f64>,
    kind: WaitKind,
    span: Span,
) -> R<Option<WaitStatus>> {
    let _rec = super::wait::Recorded::new(interp, kind, span, pid as u64, timeout.is_some());
    let wake = wake_after(timeout);
    let found = loop {
        if let Some(p) = ended_child(state(), pid) {
            break Some(p);
        }
        if !block_at(interp, wake)? {
            break ended_child(state(), pid);
        }
    };
    let Some(p) = found else { return Ok(None) };
    loop {
        match waitpid(Pid::from_raw(p), None) {
            Ok(st @ (WaitStatus::Exited(..) | WaitStatus::Signaled(..))) => return Ok(Some(st)),
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(ErrorObj::new(ErrorKind::ProcessError, format!("waiting for pid {p} failed: {e}"))),
        }
    }
}

/// Before a fork: `spawn` is a scheduling point, and the child gets its
/// runner now (it starts Runnable, with a random priority).
pub fn before_fork(interp: &mut (impl Host + ?Sized)) -> R<()> {
    if !on() {
        return Ok(());
    }
    step(interp)?;
    let id = state().add_runner(super::process::my_pid()).ok_or_else(|| {
        ErrorObj::new(ErrorKind::ProcessError, "cannot spawn: the scheduler has no room for another process")
    })?;
    CHILD.store(id, Relaxed);
    Ok(())
}

/// In the parent after the fork: the child's pid (`None`: the fork failed).
pub fn forked(pid: Option<i32>) {
    if !on() {
        return;
    }
    let r = state().runner(CHILD.load(Relaxed));
    match pid {
        Some(pid) => r.pid.store(pid, SeqCst),
        None => r.state.store(RunState::Free as u32, SeqCst),
    }
}

/// First thing in a forked child: take its runner id and wait for its turn.
pub fn child_started(interp: &mut (impl Host + ?Sized)) {
    if !on() {
        return;
    }
    let id = CHILD.load(Relaxed);
    ME.store(id, Relaxed);
    let h = state();
    h.runner(id).pid.store(super::process::my_pid(), SeqCst);
    if wait_turn(interp, h).is_err() {
        super::process::exit_now(1);
    }
}

/// A process's last step: close its files (so a reader of its pipes sees
/// EOF before anyone looks), mark it ended, hand the token on for good.
pub fn exit() {
    if !on() {
        return;
    }
    // SAFETY: close_range on this process's own descriptors from 3 up;
    // what is left to do before `_exit` uses none of them.
    unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
    let h = state();
    h.runner(me()).state.store(RunState::Exited as u32, SeqCst);
    h.step(me());
    match h.choose() {
        Some(next) => hand(h, next),
        None => raise_deadlock(h),
    }
    stop();
}

/// The parent reaped `pid`: its runner is free for a new process.
pub fn reaped(pid: i32) {
    if !on() {
        return;
    }
    if let Some(id) = state().runner_of(pid) {
        state().runner(id).state.store(RunState::Free as u32, SeqCst);
    }
}

/// This process just sent `sig` to `pid`. A child that dies of it can take
/// no step any more: once it is dead, the scheduler stops choosing it.
pub fn signalled(pid: i32, sig: i32) {
    if !on() {
        return;
    }
    let Some(id) = state().runner_of(pid) else { return };
    let handled = super::table::snapshot().iter().any(|e| e.pid == pid && e.handlers > 0);
    let deadly = sig == libc::SIGKILL || (matches!(sig, libc::SIGTERM | libc::SIGINT | libc::SIGHUP) && !handled);
    if !deadly {
        return;
    }
    let end = Instant::now() + Duration::from_secs(2);
    while alive(pid) && Instant::now() < end {
        std::thread::sleep(Duration::from_micros(200));
    }
    if !alive(pid) {
        state().runner(id).state.store(RunState::Exited as u32, SeqCst);
    }
}

/// `time()` under the scheduler: the start time plus the virtual clock.
pub fn now() -> Option<f64> {
    on().then(|| f64::from_bits(START.load(Relaxed)) + state().clock.load(SeqCst) as f64 / 1e9)
}

/// At the end of the main process: tell the explorer how many steps the
/// run took.
pub fn finish_main() {
    let (Some(h), Some(Some(path))) = (header(), STEPS_FILE.get()) else { return };
    let _ = std::fs::write(path, h.steps.load(SeqCst).to_string());
}

/// Sleep while `word == expected`, at most `limit`; false on timeout.
fn futex_wait(word: &AtomicU32, expected: u32, limit: Duration) -> bool {
    let ts = libc::timespec { tv_sec: limit.as_secs() as libc::time_t, tv_nsec: limit.subsec_nanos() as _ };
    // SAFETY: a valid aligned u32 in a shared mapping; a relative timeout.
    let r = unsafe { libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAIT, expected, &ts) };
    !(r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ETIMEDOUT))
}

fn futex_wake(word: &AtomicU32) {
    // SAFETY: plain FUTEX_WAKE on a valid shared word.
    unsafe { libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX) };
}
