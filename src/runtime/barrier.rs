//! `barrier(n)`: `n` processes wait until all have arrived, then all go on.
//!
//! Layout of a barrier in the shared arena (`BarrierCell`, then `parties`
//! pids):
//! ```text
//! mutex    pthread_mutex_t   robust, process-shared: guards what follows
//! word     u32               futex word: +1 on every change waiters look for
//! parties  u32               n
//! count    u32               processes in the barrier now
//! state    u32               filling, draining (released, the last still
//!                            leaving), resetting, broken
//! why      u32, who i32      why it broke (abort, timeout, a death…) and by whom
//! timeout  f64 bits          the default timeout of `wait` (NaN: none)
//! pids     parties × i32     who holds each arrival index now (0: nobody)
//! ```
//! As Python's `threading.Barrier`: the n-th arrival releases the others
//! (state draining) and a new round can only start when every process of
//! the last one has left (count back to 0). Arrival indices are 0..n-1.
//!
//! Crashes: a process killed while it changed the state leaves the mutex
//! abandoned, and the next one to take it breaks the barrier (the state may
//! be half-changed). A process that dies while waiting in the barrier
//! (`pids` names it) is found by the others, who look every `SLICE`: it
//! breaks the barrier, so they get `BrokenBarrierError` naming it instead
//! of waiting for ever; if the round had been released, it simply no
//! longer holds the barrier up.

use super::shm::{self, MutexGuard, Offset};
use super::table::WaitKind;
use super::wait::{self, SLICE};
use super::{deadlock, futex};
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use crate::runtime::{no_field, no_method, timeout_arg, trace, Handle, Host, Table};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{Args, Value};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering::*};
use std::time::Instant;

const FILLING: u32 = 0;
const DRAINING: u32 = 1;
const RESETTING: u32 = 2;
const BROKEN: u32 = 3;

/// Why a barrier broke (`why`).
const BY_ABORT: u32 = 1;
const BY_TIMEOUT: u32 = 2;
const BY_DEATH: u32 = 3;
const BY_RESET: u32 = 4;
const BY_CRASH: u32 = 5;

/// The most parties of one barrier.
pub const MAX_PARTIES: i64 = 1 << 16;
/// How many waiters' pids one waiter looks at per slice.
const LOOKS: usize = 16;

#[repr(C)]
struct BarrierCell {
    mutex: libc::pthread_mutex_t,
    word: AtomicU32,
    parties: AtomicU32,
    count: AtomicU32,
    state: AtomicU32,
    why: AtomicU32,
    who: AtomicI32,
    timeout: AtomicU64,
}

/// A handle to a barrier in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Barrier(pub(crate) Offset);

impl Barrier {
    pub fn new(parties: u32, timeout: Option<f64>) -> R<Barrier> {
        let bytes = std::mem::size_of::<BarrierCell>() + 4 * parties as usize;
        let b = Barrier(shm::alloc(bytes)?);
        // SAFETY: a fresh zeroed block no other process knows yet.
        unsafe { shm::init_mutex(b.mutex()) };
        let c = b.cell();
        c.parties.store(parties, Relaxed);
        c.timeout.store(timeout.unwrap_or(f64::NAN).to_bits(), Relaxed);
        Ok(b)
    }

    fn cell(&self) -> &BarrierCell {
        // SAFETY: the offset came from `Barrier::new`; only atomic fields
        // are read through this reference (the mutex goes through `mutex()`).
        unsafe { &*shm::at::<BarrierCell>(self.0) }
    }

    fn mutex(&self) -> *mut libc::pthread_mutex_t {
        // SAFETY: a field of a live BarrierCell; no reference is formed.
        unsafe { std::ptr::addr_of_mut!((*shm::at::<BarrierCell>(self.0)).mutex) }
    }

    fn pids(&self) -> &[AtomicI32] {
        let n = self.parties() as usize;
        let first = Offset(self.0 .0 + std::mem::size_of::<BarrierCell>() as u32);
        // SAFETY: `new` allocated `parties` pids right after the cell.
        unsafe { std::slice::from_raw_parts(shm::at::<AtomicI32>(first), n) }
    }

    /// Take the mutex; a holder that died mid-change breaks the barrier.
    fn guard(&self) -> MutexGuard {
        // SAFETY: a mutex initialised in `new`.
        let (g, abandoned) = unsafe { MutexGuard::lock_checked(self.mutex()) };
        if abandoned {
            self.break_it(BY_CRASH, 0);
        }
        g
    }

    pub fn id(&self) -> u64 {
        self.0 .0 as u64
    }

    pub fn parties(&self) -> u32 {
        self.cell().parties.load(Relaxed)
    }

    /// Processes waiting for the round to fill.
    pub fn n_waiting(&self) -> u32 {
        let c = self.cell();
        if c.state.load(Acquire) == FILLING {
            c.count.load(Acquire)
        } else {
            0
        }
    }

    pub fn broken(&self) -> bool {
        self.cell().state.load(Acquire) == BROKEN
    }

    pub fn default_timeout(&self) -> Option<f64> {
        Some(f64::from_bits(self.cell().timeout.load(Relaxed))).filter(|t| !t.is_nan())
    }

    /// Every waiter looks again (call with the mutex held).
    fn announce(&self) {
        let c = self.cell();
        c.word.fetch_add(1, SeqCst);
        futex::wake(&c.word, i32::MAX);
    }

    /// Call with the mutex held.
    fn break_it(&self, why: u32, who: i32) {
        let c = self.cell();
        c.why.store(why, Relaxed);
        c.who.store(who, Relaxed);
        c.state.store(BROKEN, Release);
        self.announce();
    }

    /// `b.wait(timeout)`: the arrival index, once all `parties` have come.
    pub fn wait(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, span: Span) -> R<u32> {
        let timeout = timeout.or(self.default_timeout());
        let deadline = wait::deadline_of(timeout);
        let c = self.cell();
        let me = interp.thread.tid;
        let _rec = wait::begin(interp, WaitKind::Barrier, span, self.id(), timeout.is_some())?;
        let mut g = self.guard();
        // The last round is still leaving: wait for it to be gone.
        while matches!(c.state.load(Acquire), DRAINING | RESETTING) {
            let seen = c.word.load(SeqCst);
            drop(g);
            if !self.sleep(interp, seen, deadline)? {
                g = self.guard();
                if matches!(c.state.load(Acquire), DRAINING | RESETTING) {
                    drop(g);
                    return Err(self.error(Some(me), true));
                }
                break;
            }
            g = self.guard();
            self.look_for_dead(me);
        }
        if c.state.load(Acquire) == BROKEN {
            drop(g);
            return Err(self.error(None, false));
        }
        let index = c.count.load(Relaxed);
        if let Some(p) = self.pids().get(index as usize) {
            p.store(me, Relaxed);
        }
        c.count.store(index + 1, Release);
        super::trace::op(interp, "barrier arrive", span);
        if index + 1 == self.parties() {
            c.state.store(DRAINING, Release);
            self.announce();
        } else {
            while c.state.load(Acquire) == FILLING {
                let seen = c.word.load(SeqCst);
                drop(g);
                let slept = self.sleep(interp, seen, deadline);
                g = self.guard();
                match slept {
                    Ok(true) => self.look_for_dead(me),
                    Ok(false) => {
                        if c.state.load(Acquire) == FILLING {
                            self.break_it(BY_TIMEOUT, me);
                        }
                    }
                    Err(e) => {
                        // Leaving early breaks the round, as in Python.
                        if c.state.load(Acquire) == FILLING {
                            self.break_it(BY_ABORT, me);
                        }
                        self.leave(index);
                        return Err(e);
                    }
                }
            }
        }
        let released = c.state.load(Acquire) == DRAINING;
        self.leave(index);
        drop(g);
        match released {
            true => Ok(index),
            false => Err(self.error(Some(me), false)),
        }
    }

    /// Leave the barrier (call with the mutex held): the last one out of a
    /// released or reset round opens it for the next.
    fn leave(&self, index: u32) {
        let c = self.cell();
        if let Some(p) = self.pids().get(index as usize) {
            p.store(0, Relaxed);
        }
        let left = c.count.load(Relaxed).saturating_sub(1);
        c.count.store(left, Release);
        if left == 0 && matches!(c.state.load(Acquire), DRAINING | RESETTING) {
            c.state.store(FILLING, Release);
            self.announce();
        }
    }

    /// Sleep until the word moves from `seen` (true) or `deadline` (false);
    /// at most one slice, so the caller looks for dead parties.
    fn sleep(&self, interp: &mut (impl Host + ?Sized), seen: u32, deadline: Option<Instant>) -> R<bool> {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return Ok(false);
        }
        if deadline.is_none() {
            deadlock::tick(interp)?;
        }
        let slice_end = deadline.map_or(now + SLICE, |d| d.min(now + SLICE));
        futex::wait_until(interp, &self.cell().word, seen, Some(slice_end))?;
        Ok(deadline.is_none_or(|d| Instant::now() < d))
    }

    /// Waiters that died (call with the mutex held): in a filling round one
    /// breaks the barrier; in a released one it just no longer counts.
    fn look_for_dead(&self, me: i32) {
        let c = self.cell();
        let pids = self.pids();
        let count = (c.count.load(Relaxed) as usize).min(pids.len());
        // Large barriers: a window of them per slice, a different one each time.
        let start = if count > LOOKS { (c.word.load(Relaxed) as usize * LOOKS) % count } else { 0 };
        for i in (0..count.min(LOOKS)).map(|k| (start + k) % count) {
            let pid = pids[i].load(Relaxed);
            if pid == 0 || pid == me || deadlock::alive(pid) {
                continue;
            }
            match c.state.load(Acquire) {
                FILLING => {
                    self.break_it(BY_DEATH, pid);
                    self.leave(i as u32);
                }
                _ => self.leave(i as u32),
            }
        }
    }

    /// `b.reset()`: back to empty; processes waiting now get `BrokenBarrierError`.
    pub fn reset(&self, interp: &(impl Host + ?Sized)) {
        let c = self.cell();
        let _g = self.guard();
        if c.count.load(Relaxed) > 0 {
            match c.state.load(Acquire) {
                FILLING | BROKEN => {
                    c.why.store(BY_RESET, Relaxed);
                    c.who.store(interp.thread.tid, Relaxed);
                    c.state.store(RESETTING, Release);
                }
                _ => {}
            }
        } else {
            c.state.store(FILLING, Release);
        }
        self.announce();
    }

    /// `b.abort()`: broken until reset; every waiter gets `BrokenBarrierError`.
    pub fn abort(&self, interp: &(impl Host + ?Sized)) {
        let _g = self.guard();
        self.break_it(BY_ABORT, interp.thread.tid);
    }

    /// Why this process cannot pass: the barrier's story in words.
    fn error(&self, me: Option<i32>, draining_timeout: bool) -> Box<ErrorObj> {
        let c = self.cell();
        let who = c.who.load(Relaxed);
        let by = |pid: i32| match (Some(pid) == me, pid) {
            (true, _) => "this process".to_string(),
            (_, 0) => "a process".to_string(),
            (_, p) => super::lock::describe_pid(p),
        };
        let story = if draining_timeout {
            "the timeout passed while the last round was still leaving the barrier".to_string()
        } else {
            match c.why.load(Relaxed) {
                BY_TIMEOUT => format!("the barrier broke: {} timed out waiting", by(who)),
                BY_DEATH => format!("the barrier broke: {} died while waiting at it", by(who)),
                BY_RESET => format!("the barrier was reset by {} while this process waited", by(who)),
                BY_CRASH => "the barrier broke: a process was killed while it changed the barrier".to_string(),
                _ => format!("the barrier was aborted by {}", by(who)),
            }
        };
        ErrorObj::new(ErrorKind::BrokenBarrierError, story)
            .with_help("a broken barrier stays broken until someone calls reset()")
    }

    pub fn describe(&self) -> String {
        let state = match self.cell().state.load(Acquire) {
            BROKEN => "broken".to_string(),
            _ => format!("{} waiting", self.n_waiting()),
        };
        format!("<barrier #{} parties={} {state}>", self.id(), self.parties())
    }
}

/// A barrier's methods and fields (see `runtime::Table`).
pub const TABLE: Table = Table {
    methods: &[Member::Wait, Member::Reset, Member::Abort],
    fields: &[Member::Parties, Member::NWaiting, Member::Broken],
};

pub fn call_method(interp: &mut (impl Host + ?Sized), b: &Barrier, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Wait => {
            a.check(0, 1, &["timeout"])?;
            let timeout = timeout_arg(a, 0)?;
            Ok(Value::Int(b.wait(interp, timeout, a.span)? as i64))
        }
        Member::Reset => {
            a.check(0, 0, &[])?;
            trace::op(interp, "barrier reset", a.span);
            b.reset(interp);
            Ok(Value::Nil)
        }
        Member::Abort => {
            a.check(0, 0, &[])?;
            trace::op(interp, "barrier abort", a.span);
            b.abort(interp);
            Ok(Value::Nil)
        }
        _ => Err(no_method(&Handle::Barrier(*b), m)),
    }
}

/// `b.parties`, `b.n_waiting`, `b.broken` (Python's properties).
pub fn field_get(b: &Barrier, m: &Member) -> R<Value> {
    Ok(match m {
        Member::Parties => Value::Int(b.parties() as i64),
        Member::NWaiting => Value::Int(b.n_waiting() as i64),
        Member::Broken => Value::Bool(b.broken()),
        _ => return Err(no_field(&Handle::Barrier(*b), m)),
    })
}
