//! `rlock`: a re-entrant lock. Its holder may take it again; it is free
//! once released as many times as it was taken.
//!
//! Layout of an rlock in the shared arena (`RLockCell`):
//! ```text
//! lock    LockCell   a `lock` (robust mutex, owner, where taken): lock.rs
//! count   u32        how many times the owner holds it (0 when free)
//! ```
//! Only the owner writes `count`, and only while it holds the mutex; a
//! holder that dies leaves the lock abandoned exactly as a `lock` does (the
//! next taker gets `LockAbandoned`, and the count starts again from 1).
//! The owner is one field (`LockCell::owner`): a thread id, so two threads
//! of one process are different owners (the pid for a main thread).

use super::lock::{Lock, LockCell};
use super::shm::{self, Offset};
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use crate::runtime::{acquire_args, no_method, Handle, Host, Table};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{Args, Value};
use std::sync::atomic::{AtomicU32, Ordering::*};

#[repr(C)]
struct RLockCell {
    lock: LockCell,
    count: AtomicU32,
}

/// A handle to an rlock in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RLock(pub(crate) Offset);

impl RLock {
    pub fn new() -> R<RLock> {
        let off = shm::alloc(std::mem::size_of::<RLockCell>())?;
        // SAFETY: a fresh zeroed block that starts with a LockCell.
        unsafe { Lock::init_in(off) };
        Ok(RLock(off))
    }

    /// The plain lock underneath: same id, so deadlock reports, `:ps` and
    /// traces show an rlock like a lock.
    pub fn lock(&self) -> Lock {
        Lock(self.0)
    }

    fn count(&self) -> &AtomicU32 {
        // SAFETY: the offset came from `RLock::new`; `count` is an atomic.
        unsafe { &(*shm::at::<RLockCell>(self.0)).count }
    }

    pub fn id(&self) -> u64 {
        self.0 .0 as u64
    }

    pub fn owner(&self) -> Option<i32> {
        self.lock().owner()
    }

    /// How many times the owner holds it.
    pub fn depth(&self) -> u32 {
        if self.owner().is_some() {
            self.count().load(Relaxed)
        } else {
            0
        }
    }

    fn mine(&self, interp: &(impl Host + ?Sized)) -> bool {
        self.owner() == Some(interp.thread.tid)
    }

    /// Take it (again, if this process holds it already).
    pub fn acquire(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, block: bool, span: Span) -> R<bool> {
        if self.mine(interp) {
            let c = self.count();
            if c.load(Relaxed) == u32::MAX {
                return Err(ErrorObj::new(ErrorKind::OverflowError, "rlock acquired too many times"));
            }
            c.fetch_add(1, Relaxed);
            return Ok(true);
        }
        let got = self.lock().acquire(interp, timeout, block, span)?;
        if got {
            self.count().store(1, Relaxed);
        }
        Ok(got)
    }

    /// Give one level back; the last one frees it. Only the owner may.
    pub fn release(&self, interp: &(impl Host + ?Sized)) -> R<()> {
        if !self.mine(interp) {
            return Err(not_held(self.owner(), "release"));
        }
        let c = self.count();
        match c.load(Relaxed) {
            0 | 1 => {
                c.store(0, Relaxed);
                self.lock().release(interp)
            }
            n => {
                c.store(n - 1, Relaxed);
                Ok(())
            }
        }
    }

    /// Free it completely, saying how deep it was held (a condition's wait).
    pub(crate) fn release_all(&self, interp: &(impl Host + ?Sized)) -> R<u32> {
        if !self.mine(interp) {
            return Err(not_held(self.owner(), "release"));
        }
        let depth = self.count().swap(0, Relaxed).max(1);
        self.lock().release(interp)?;
        Ok(depth)
    }

    /// Take it again at the depth `release_all` gave.
    pub(crate) fn restore(&self, interp: &mut (impl Host + ?Sized), depth: u32, span: Span) -> R<()> {
        self.lock().acquire(interp, None, true, span)?;
        self.count().store(depth.max(1), Relaxed);
        Ok(())
    }
}

/// An rlock's methods (see `runtime::Table`).
pub const TABLE: Table = Table { methods: &[Member::Acquire, Member::Release, Member::Locked], fields: &[] };

pub fn call_method(interp: &mut (impl Host + ?Sized), r: &RLock, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Acquire => {
            let (timeout, block) = acquire_args(a)?;
            Ok(Value::Bool(r.acquire(interp, timeout, block, a.span)?))
        }
        Member::Release => {
            a.check(0, 0, &[])?;
            r.release(interp).map(|_| Value::Nil)
        }
        Member::Locked => {
            a.check(0, 0, &[])?;
            Ok(Value::Bool(r.owner().is_some()))
        }
        _ => Err(no_method(&Handle::RLock(*r), m)),
    }
}

/// Python's "cannot release un-acquired lock", with who holds it.
pub(crate) fn not_held(owner: Option<i32>, what: &str) -> Box<ErrorObj> {
    let who = match owner {
        Some(p) => format!(": {} holds it", super::lock::describe_pid(p)),
        None => String::new(),
    };
    ErrorObj::new(ErrorKind::RuntimeError, format!("cannot {what} un-acquired lock{who}"))
        .with_help("only the process that acquired it can do this; acquire it first (`lock l { … }`)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::host::Bare;
    use crate::runtime::shm::tests::{arena, in_child};

    #[test]
    fn the_owner_takes_it_again_and_frees_it_after_as_many_releases() {
        arena();
        let mut interp = Bare::new();
        let r = RLock::new().unwrap();
        for depth in 1..=3 {
            assert!(r.acquire(&mut interp, None, true, Span::default()).unwrap());
            assert_eq!(r.depth(), depth);
        }
        // Another process cannot take it, nor release it.
        let code = in_child(|| {
            let mut interp = Bare::new();
            interp.process.pid = std::process::id() as i32;
            interp.rt.is_child = true;
            let taken = r.acquire(&mut interp, None, false, Span::default());
            let released = r.release(&interp);
            match (taken, released) {
                (Ok(false), Err(e)) if e.kind == ErrorKind::RuntimeError => 0,
                _ => 1,
            }
        });
        assert_eq!(code, 0);
        for _ in 0..3 {
            r.release(&interp).unwrap();
        }
        assert_eq!(r.owner(), None);
        assert_eq!(r.release(&interp).unwrap_err().kind, ErrorKind::RuntimeError);
    }
}
