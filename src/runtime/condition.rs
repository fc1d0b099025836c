//! `condition`: processes wait, under a lock, until another notifies them.
//!
//! Layout of a condition in the shared arena (`CondCell`, then `cap`
//! waiter entries, one per process-table slot):
//! ```text
//! kind     u32        its lock: 1 a `lock`, 2 an `rlock` (the default)
//! lock     u32        the lock's offset
//! order    u32        registrations so far (a waiter's place in line)
//! high     u32        1 + the highest slot that ever waited
//! cap      u32        entries (the process table's capacity)
//! entries  cap × { state u32 (futex word): 0 free, 1 waiting, 2 notified;
//!                  pad u32; who u64: pid << 32 | order }
//! ```
//! A waiter, holding the lock, writes its slot's entry (`who`, then state
//! waiting), frees the lock and sleeps on its own state word. `notify(n)`,
//! holding the lock, moves the `n` longest-waiting entries from waiting to
//! notified (a compare-and-swap each) and wakes exactly those sleepers:
//! no lost wake-up, no herd. A waiter whose timeout passes takes its entry
//! back with a compare-and-swap; if that fails it was notified first and
//! says so. Then it takes the lock again and frees its entry.
//!
//! Crashes: a holder of the lock that dies makes the lock abandoned (the
//! next taker, a waiter coming back included, gets `LockAbandoned`). A
//! waiter killed at any moment leaves an entry naming a dead pid; the other
//! waiters look for such entries every `SLICE`, free them, and pass a
//! notify the dead one had received on to the next waiter in line, so a
//! notify is never swallowed by a corpse.

use super::lock::Lock;
use super::rlock::{self, RLock};
use super::shm::{self, Offset};
use super::table::WaitKind;
use super::trace;
use super::wait::{self, SLICE};
use super::{deadlock, futex};
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use crate::runtime::{acquire_args, no_method, timeout_arg, Handle, Host, Table};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{Args, Value};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use std::time::Instant;

const FREE: u32 = 0;
const WAITING: u32 = 1;
const NOTIFIED: u32 = 2;
/// A waiter's place in line, in the low bits of `who`.
const ORDER_MASK: u64 = 0xffff_ffff;

#[repr(C)]
struct CondCell {
    kind: AtomicU32,
    lock: AtomicU32,
    order: AtomicU32,
    high: AtomicU32,
    cap: AtomicU32,
    _pad: u32,
}

#[repr(C)]
struct Entry {
    state: AtomicU32,
    _pad: u32,
    who: AtomicU64,
}

/// The lock a condition waits under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CondLock {
    Lock(Lock),
    RLock(RLock),
}

impl CondLock {
    fn owner(&self) -> Option<i32> {
        match self {
            CondLock::Lock(l) => l.owner(),
            CondLock::RLock(r) => r.owner(),
        }
    }

    pub fn acquire(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, block: bool, span: Span) -> R<bool> {
        match self {
            CondLock::Lock(l) => l.acquire(interp, timeout, block, span),
            CondLock::RLock(r) => r.acquire(interp, timeout, block, span),
        }
    }

    pub fn release(&self, interp: &(impl Host + ?Sized)) -> R<()> {
        match self {
            CondLock::Lock(l) => l.release(interp).map_err(|_| rlock::not_held(l.owner(), "release")),
            CondLock::RLock(r) => r.release(interp),
        }
    }
}

/// A handle to a condition in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Condition(pub(crate) Offset);

impl Condition {
    /// A condition over `lock` for a program of `cap` process-table slots.
    pub fn new(lock: CondLock, cap: u32) -> R<Condition> {
        let bytes = std::mem::size_of::<CondCell>() + cap as usize * std::mem::size_of::<Entry>();
        let c = Condition(shm::alloc(bytes)?);
        let cell = c.cell();
        let (kind, off) = match lock {
            CondLock::Lock(l) => (1, l.0),
            CondLock::RLock(r) => (2, r.0),
        };
        cell.lock.store(off.0, Relaxed);
        cell.cap.store(cap, Relaxed);
        cell.kind.store(kind, Release);
        Ok(c)
    }

    fn cell(&self) -> &CondCell {
        // SAFETY: the offset came from `Condition::new`; the fields are atomics.
        unsafe { &*shm::at::<CondCell>(self.0) }
    }

    fn entries(&self) -> &[Entry] {
        let cap = self.cell().cap.load(Relaxed) as usize;
        let first = Offset(self.0 .0 + std::mem::size_of::<CondCell>() as u32);
        // SAFETY: `new` allocated `cap` entries right after the cell; they
        // are only used atomically.
        unsafe { std::slice::from_raw_parts(shm::at::<Entry>(first), cap) }
    }

    pub fn id(&self) -> u64 {
        self.0 .0 as u64
    }

    pub fn lock(&self) -> CondLock {
        let c = self.cell();
        let off = Offset(c.lock.load(Relaxed));
        match c.kind.load(Acquire) {
            1 => CondLock::Lock(Lock(off)),
            _ => CondLock::RLock(RLock(off)),
        }
    }

    fn held_here(&self, interp: &(impl Host + ?Sized), what: &str) -> R<()> {
        let owner = self.lock().owner();
        if owner == Some(interp.thread.tid) {
            return Ok(());
        }
        Err(rlock::not_held(owner, what).with_help(format!(
            "a condition's {} must be called while holding its lock: `lock c {{ … c.{} … }}`",
            if what.starts_with("wait") { "wait" } else { "notify" },
            if what.starts_with("wait") { "wait()" } else { "notify()" }
        )))
    }

    /// How many processes wait on it now (for `describe`).
    pub fn waiting(&self) -> usize {
        self.entries().iter().filter(|e| e.state.load(Relaxed) == WAITING).count()
    }

    /// `c.wait(timeout)`: free the lock, sleep until notified (true) or
    /// the timeout passes (false), take the lock again.
    pub fn wait(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, span: Span) -> R<bool> {
        self.held_here(interp, "wait on")?;
        let slot = interp.rt.slot as usize;
        let Some(me) = self.entries().get(slot) else {
            return Err(ErrorObj::new(ErrorKind::ProcessError, "this process has no place in the condition's table"));
        };
        let c = self.cell();
        // A dead process that had this slot may have left a notify here.
        self.clear_dead(me);
        let order = c.order.fetch_add(1, Relaxed);
        me.who.store(((interp.thread.tid as u32 as u64) << 32) | order as u64, Relaxed);
        me.state.store(WAITING, SeqCst);
        c.high.fetch_max(slot as u32 + 1, SeqCst);
        let lock = self.lock();
        let depth = match lock {
            CondLock::Lock(l) => l.release(interp).map(|_| 1)?,
            CondLock::RLock(r) => r.release_all(interp)?,
        };
        let outcome = self.sleep(interp, me, timeout, span);
        // Ours again, whatever happened; then the lock, even after an error
        // (a `lock c { }` block releases it on the way out).
        if me.state.swap(FREE, SeqCst) == NOTIFIED && outcome.is_err() {
            self.notify_some(1); // not ours to swallow
        }
        let back = match lock {
            CondLock::Lock(l) => l.acquire(interp, None, true, span).map(|_| ()),
            CondLock::RLock(r) => r.restore(interp, depth, span),
        };
        let notified = outcome?;
        back?;
        Ok(notified)
    }

    fn sleep(&self, interp: &mut (impl Host + ?Sized), me: &Entry, timeout: Option<f64>, span: Span) -> R<bool> {
        let deadline = wait::deadline_of(timeout);
        let _rec = wait::begin(interp, WaitKind::Condition, span, self.id(), timeout.is_some())?;
        loop {
            if me.state.load(SeqCst) == NOTIFIED {
                return Ok(true);
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                // Lost the race to a notify: it counts.
                return Ok(me.state.compare_exchange(WAITING, FREE, SeqCst, SeqCst).is_err());
            }
            if deadline.is_none() {
                deadlock::tick(interp)?;
            }
            let slice_end = deadline.map_or(now + SLICE, |d| d.min(now + SLICE));
            if !futex::wait_until(interp, &me.state, WAITING, Some(slice_end))? {
                self.repair();
            }
        }
    }

    /// `c.notify(n)`: wake the `n` longest-waiting processes. How many were.
    pub fn notify(&self, interp: &(impl Host + ?Sized), n: usize, span: Span) -> R<usize> {
        self.held_here(interp, "notify on")?;
        trace::op(interp, "condition notify", span);
        Ok(self.notify_some(n))
    }

    fn notify_some(&self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let c = self.cell();
        let high = (c.high.load(SeqCst) as usize).min(self.entries().len());
        let now = c.order.load(Relaxed);
        let age = |e: &Entry| now.wrapping_sub((e.who.load(Relaxed) & ORDER_MASK) as u32);
        if n == 1 {
            // The common case, without a list: the longest-waiting entry.
            loop {
                let oldest =
                    self.entries()[..high].iter().filter(|e| e.state.load(SeqCst) == WAITING).max_by_key(|e| age(e));
                let Some(e) = oldest else { return 0 };
                if e.state.compare_exchange(WAITING, NOTIFIED, SeqCst, SeqCst).is_ok() {
                    futex::wake(&e.state, 1);
                    return 1;
                }
            }
        }
        let mut line: Vec<(u32, usize)> = self.entries()[..high]
            .iter()
            .enumerate()
            .filter(|(_, e)| e.state.load(SeqCst) == WAITING)
            .map(|(i, e)| (age(e), i))
            .collect();
        // Longest waiting first: the largest distance from the current order.
        line.sort_unstable_by_key(|e| std::cmp::Reverse(e.0));
        let mut woken = 0;
        for (_, i) in line {
            if woken == n {
                break;
            }
            let e = &self.entries()[i];
            if e.state.compare_exchange(WAITING, NOTIFIED, SeqCst, SeqCst).is_ok() {
                futex::wake(&e.state, 1);
                woken += 1;
            }
        }
        woken
    }

    /// Free an entry a dead process left; pass on a notify it had.
    fn clear_dead(&self, e: &Entry) {
        let state = e.state.load(SeqCst);
        if state == FREE {
            return;
        }
        let pid = (e.who.load(Relaxed) >> 32) as i32;
        if pid > 0 && deadlock::alive(pid) {
            return;
        }
        if e.state.compare_exchange(state, FREE, SeqCst, SeqCst).is_ok() && state == NOTIFIED {
            self.notify_some(1);
        }
    }

    /// Entries of waiters that died (see the module comment).
    fn repair(&self) {
        let high = (self.cell().high.load(SeqCst) as usize).min(self.entries().len());
        for e in &self.entries()[..high] {
            self.clear_dead(e);
        }
    }

    /// `c.wait_for(pred, timeout)`: wait until `pred()` is true (with the
    /// lock held); its last value (false-ish when the timeout passed).
    pub fn wait_for(
        &self,
        interp: &mut (impl Host + ?Sized),
        pred: &Value,
        timeout: Option<f64>,
        span: Span,
    ) -> R<Value> {
        self.held_here(interp, "wait on")?;
        let deadline = wait::deadline_of(timeout);
        loop {
            let result = interp.call_function(pred, vec![], span)?;
            if result.truthy() {
                return Ok(result);
            }
            let left = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left.as_secs_f64()),
                    _ => return Ok(result),
                },
            };
            self.wait(interp, left, span)?;
        }
    }
}

/// A condition's methods (see `runtime::Table`): `acquire`, `release`
/// (its lock's), `wait(timeout=nil)`, `wait_for(predicate, timeout=nil)`,
/// `notify(n=1)`, `notify_all()`.
pub const TABLE: Table = Table {
    methods: &[Member::Acquire, Member::Release, Member::Wait, Member::WaitFor, Member::Notify, Member::NotifyAll],
    fields: &[],
};

pub fn call_method(interp: &mut (impl Host + ?Sized), c: &Condition, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Acquire => {
            let (timeout, block) = acquire_args(a)?;
            Ok(Value::Bool(c.lock().acquire(interp, timeout, block, a.span)?))
        }
        Member::Release => {
            a.check(0, 0, &[])?;
            c.lock().release(interp).map(|_| Value::Nil)
        }
        Member::Wait => {
            a.check(0, 1, &["timeout"])?;
            let timeout = timeout_arg(a, 0)?;
            Ok(Value::Bool(c.wait(interp, timeout, a.span)?))
        }
        Member::WaitFor => {
            a.check(0, 2, &["predicate", "timeout"])?;
            let Some(pred) = a.opt(0, "predicate").cloned() else {
                return Err(ErrorObj::new(ErrorKind::TypeError, "condition.wait_for() needs a predicate function")
                    .with_help("c.wait_for(fn() { return len(items) > 0 })"));
            };
            let timeout = timeout_arg(a, 1)?;
            c.wait_for(interp, &pred, timeout, a.span)
        }
        Member::Notify => {
            a.check(0, 1, &["n"])?;
            let n = match a.opt(0, "n") {
                None => 1,
                Some(v) => crate::value::expect_int(v, &a.func(), "n")?.max(0) as usize,
            };
            c.notify(interp, n, a.span).map(|_| Value::Nil)
        }
        Member::NotifyAll => {
            a.check(0, 0, &[])?;
            c.notify(interp, usize::MAX, a.span).map(|_| Value::Nil)
        }
        _ => Err(no_method(&Handle::Condition(*c), m)),
    }
}
