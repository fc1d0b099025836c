//! `sem`: a counting semaphore any process of the program can use.
//!
//! Layout of a semaphore in the shared arena (`SemCell`):
//! ```text
//! count    u32   permits left; the futex word
//! waiters  u32   processes blocked (or about to block) on `count`
//! woken    u32   1 while a woken waiter has not run yet
//! bound    u32   `sem(n, bounded=true)`: n + 1 (`count` may reach n); 0: no bound
//! ```
//! `acquire` takes a permit with a compare-and-swap, else sleeps in the
//! kernel on `count == 0`; `release` adds one and wakes one sleeper if any,
//! unless one is already woken (see `signal`, and the same scheme in
//! queue.rs). Sleeps last at most `SLICE`.
//! A semaphore has no owner: a permit held by a process that is killed is
//! lost (as in Python).

use super::futex;
use super::shm::{self, Offset};
use super::table::WaitKind;
use super::trace::{self, Hold};
use super::wait;
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::{acquire_args, no_method, Handle, Host, Table};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{Args, Value};
use std::sync::atomic::{AtomicU32, Ordering::*};
use std::time::Instant;

use crate::diagnostics::R;

#[repr(C)]
struct SemCell {
    count: AtomicU32,
    waiters: AtomicU32,
    woken: AtomicU32,
    bound: AtomicU32,
}

use super::wait::SLICE;

/// A handle to a semaphore in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sem(pub(crate) Offset);

impl Sem {
    /// A semaphore with `value` permits; `bounded`: releasing past `value`
    /// is an error (Python's `BoundedSemaphore`).
    pub fn new(value: u32, bounded: bool) -> R<Sem> {
        let off = shm::alloc(std::mem::size_of::<SemCell>())?;
        let s = Sem(off);
        let bound = if bounded { value.saturating_add(1) } else { 0 };
        s.cell().bound.store(bound, Release);
        s.cell().count.store(value, Release);
        Ok(s)
    }

    fn cell(&self) -> &SemCell {
        // SAFETY: the offset came from `Sem::new`; the fields are atomics.
        unsafe { &*shm::at::<SemCell>(self.0) }
    }

    pub fn id(&self) -> u64 {
        self.0 .0 as u64
    }

    pub fn value(&self) -> u32 {
        self.cell().count.load(Acquire)
    }

    fn try_take(&self) -> bool {
        let count = &self.cell().count;
        let mut c = count.load(Relaxed);
        while c > 0 {
            match count.compare_exchange_weak(c, c - 1, AcqRel, Relaxed) {
                Ok(_) => return true,
                Err(now) => c = now,
            }
        }
        false
    }

    /// Take a permit. `Ok(false)` when `timeout` passed first (or `block`
    /// is false and there is none).
    pub fn acquire(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, block: bool, span: Span) -> R<bool> {
        let got = self.take(interp, timeout, block, span)?;
        if got {
            trace::hold_begin(interp, Hold::Sem, self.id(), span);
        }
        Ok(got)
    }

    fn take(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, block: bool, span: Span) -> R<bool> {
        if self.try_take() {
            return Ok(true);
        }
        if !block {
            return Ok(false);
        }
        let deadline = wait::deadline_of(timeout);
        let _rec = wait::begin(interp, WaitKind::Sem, span, self.id(), timeout.is_some())?;
        if super::explore::on() {
            return Ok(super::explore::wait_for(interp, deadline, |_| Ok(self.try_take().then_some(())))?.is_some());
        }
        let c = self.cell();
        loop {
            c.waiters.fetch_add(1, SeqCst);
            let slice_end = Instant::now() + SLICE;
            // An untimed wait is a place where the main process looks for a deadlock.
            let r = if deadline.is_none() { super::deadlock::tick(interp) } else { Ok(()) }
                .and_then(|()| {
                    futex::wait_until(interp, &c.count, 0, Some(deadline.map_or(slice_end, |d| d.min(slice_end))))
                })
                .map(|woke| woke || deadline.is_none_or(|d| Instant::now() < d));
            c.waiters.fetch_sub(1, SeqCst);
            // This process runs again: a wake-up meant for "someone" has arrived.
            c.woken.store(0, SeqCst);
            let got = match r {
                Ok(true) => self.try_take(),
                Ok(false) => {
                    let got = self.try_take();
                    self.pass_wake();
                    return Ok(got);
                }
                Err(e) => {
                    self.pass_wake();
                    return Err(e);
                }
            };
            if got {
                self.pass_wake();
                return Ok(true);
            }
        }
    }

    /// Permits are left and someone may sleep with no wake-up on its way
    /// (this process may have taken the one meant for it): wake one.
    fn pass_wake(&self) {
        if self.cell().count.load(SeqCst) > 0 {
            self.signal();
        }
    }

    /// Wake one sleeper, unless one was woken and has not run yet: that one
    /// takes a permit, and passes the wake on if it leaves more behind.
    fn signal(&self) {
        let c = self.cell();
        futex::wake_one_coalesced(&c.count, &c.waiters, &c.woken);
    }

    pub fn release(&self) -> R<()> {
        // Traced first, so the release shows before the wake-up it causes.
        trace::hold_end(Hold::Sem, self.id());
        let c = self.cell();
        let max = match c.bound.load(Relaxed) {
            0 => u32::MAX,
            n => n - 1,
        };
        if c.count.fetch_update(SeqCst, SeqCst, |n| (n < max).then_some(n + 1)).is_err() {
            let e = ErrorObj::new(ErrorKind::ValueError, "semaphore released too many times");
            return Err(match max {
                u32::MAX => e,
                n => e.with_help(format!(
                    "a bounded semaphore holds at most its initial {n} permits: release only what was acquired"
                )),
            });
        }
        self.signal();
        Ok(())
    }
}

/// A sem's methods (see `runtime::Table`).
pub const TABLE: Table = Table { methods: &[Member::Acquire, Member::Release, Member::Value], fields: &[] };

pub fn call_method(interp: &mut (impl Host + ?Sized), s: &Sem, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Acquire => {
            let (timeout, block) = acquire_args(a)?;
            Ok(Value::Bool(s.acquire(interp, timeout, block, a.span)?))
        }
        Member::Release => {
            a.check(0, 0, &[])?;
            s.release().map(|_| Value::Nil)
        }
        Member::Value => {
            a.check(0, 0, &[])?;
            Ok(Value::Int(s.value() as i64))
        }
        _ => Err(no_method(&Handle::Sem(*s), m)),
    }
}
