//! `event`: a flag processes can wait for; `set` wakes every waiter.
//!
//! Layout of an event in the shared arena (`EventCell`):
//! ```text
//! word     u32   bit 0: set; bits 1..: generation, +1 on every set
//! waiters  u32   processes blocked (or about to block) on `word`
//! ```
//! A waiter sleeps while `word` keeps the value it saw (clear, generation
//! g). `clear` only drops bit 0, so any change of `word` means a `set`
//! happened: a waiter returns true even if the event was cleared again
//! before it ran (a quick set-then-clear still lets every waiter through).

use super::futex;
use super::shm::{self, Offset};
use super::table::WaitKind;
use super::wait;
use crate::runtime::{no_method, timeout_arg, trace, Handle, Host, Table};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{Args, Value};
use std::sync::atomic::{AtomicU32, Ordering::*};

use crate::diagnostics::R;

#[repr(C)]
struct EventCell {
    word: AtomicU32,
    waiters: AtomicU32,
}

/// A handle to an event in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event(pub(crate) Offset);

impl Event {
    pub fn new() -> R<Event> {
        Ok(Event(shm::alloc(std::mem::size_of::<EventCell>())?))
    }

    fn cell(&self) -> &EventCell {
        // SAFETY: the offset came from `Event::new`; the fields are atomics.
        unsafe { &*shm::at::<EventCell>(self.0) }
    }

    pub fn id(&self) -> u64 {
        self.0 .0 as u64
    }

    pub fn is_set(&self) -> bool {
        self.cell().word.load(Acquire) & 1 == 1
    }

    pub fn set(&self) {
        let c = self.cell();
        let next = |w: u32| (w & 1 == 0).then(|| (w | 1).wrapping_add(2));
        if c.word.fetch_update(SeqCst, SeqCst, next).is_ok() && c.waiters.load(SeqCst) > 0 {
            futex::wake(&c.word, i32::MAX);
        }
    }

    pub fn clear(&self) {
        self.cell().word.fetch_and(!1, SeqCst);
    }

    /// Wait until set. `Ok(false)` when `timeout` passed first.
    pub fn wait(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, span: Span) -> R<bool> {
        let c = self.cell();
        let seen = c.word.load(SeqCst);
        if seen & 1 == 1 {
            return Ok(true);
        }
        let deadline = wait::deadline_of(timeout);
        let _rec = wait::begin(interp, WaitKind::Event, span, self.id(), timeout.is_some())?;
        if super::explore::on() {
            let set = |_: &mut _| Ok((c.word.load(SeqCst) != seen).then_some(()));
            return Ok(super::explore::wait_for(interp, deadline, set)?.is_some());
        }
        c.waiters.fetch_add(1, SeqCst);
        let result = loop {
            if c.word.load(SeqCst) != seen {
                break Ok(true);
            }
            match futex::wait_until(interp, &c.word, seen, deadline) {
                Ok(true) => {}
                Ok(false) => break Ok(c.word.load(SeqCst) != seen),
                Err(e) => break Err(e),
            }
        };
        c.waiters.fetch_sub(1, SeqCst);
        result
    }
}

/// An event's methods (see `runtime::Table`).
pub const TABLE: Table = Table { methods: &[Member::Set, Member::Clear, Member::IsSet, Member::Wait], fields: &[] };

#[inline(never)]
pub fn call_method(interp: &mut (impl Host + ?Sized), e: &Event, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        // Traced first, so the set shows before the waiters wake.
        Member::Set => {
            trace::op(interp, "event set", a.span);
            e.set();
        }
        Member::Clear => {
            trace::op(interp, "event clear", a.span);
            e.clear();
        }
        Member::IsSet => {
            a.check(0, 0, &[])?;
            return Ok(Value::Bool(e.is_set()));
        }
        Member::Wait => {
            a.check(0, 1, &["timeout"])?;
            let timeout = timeout_arg(a, 0)?;
            return Ok(Value::Bool(e.wait(interp, timeout, a.span)?));
        }
        _ => return Err(no_method(&Handle::Event(*e), m)),
    }
    a.check(0, 0, &[])?;
    Ok(Value::Nil)
}
