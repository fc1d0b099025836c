//! `p.imap(f, xs)` / `p.imap_unordered(f, xs)`: an iterator over a job's
//! results, handed out as they come — in order for `imap` (each as soon as
//! it and those before it have arrived), in arrival order for
//! `imap_unordered`. A `for` loop takes them one at a time (`next_item`);
//! `it.next(timeout=)` takes one, as Python's `IMapIterator.next`. A
//! failed call raises its error at its turn; the others still come.

use super::jobs::{check_workers, drain, run_callbacks, wait_slice, Job};
use super::{check_owner, Pool, Status, R};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::{no_method, timeout_arg, Handle, Host, Table};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{Args, Value};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

pub struct ResultIter {
    pool: Rc<Pool>,
    job: Rc<Job>,
    /// Results handed out so far (for `imap`, the next index).
    taken: Cell<usize>,
}

impl std::fmt::Debug for ResultIter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl ResultIter {
    pub(super) fn new(pool: Rc<Pool>, job: Rc<Job>) -> ResultIter {
        ResultIter { pool, job, taken: Cell::new(0) }
    }

    pub fn describe(&self) -> String {
        format!("<result iterator {} of {} taken>", self.taken.get(), self.job.len())
    }

    /// The next result if it has arrived: `None` when it has not yet.
    fn ready(&self) -> Option<R<Value>> {
        let lazy = self.job.lazy.as_ref()?;
        let mut lazy = lazy.borrow_mut();
        let i = self.taken.get();
        let item = if lazy.ordered {
            if !lazy.got.get(i).copied().unwrap_or(false) {
                return None;
            }
            let value = self.job.take_value(i);
            lazy.errors.remove(&i).map_or(Ok(value), Err)
        } else {
            lazy.arrived.pop_front()?
        };
        self.taken.set(i + 1);
        Some(item)
    }

    /// The next result, waiting for it (at most `timeout`: then a
    /// `TimeoutError`); `None` after the last.
    pub fn next_item(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, span: Span) -> R<Option<Value>> {
        let pool = &self.pool;
        check_owner(pool)?;
        let deadline = crate::runtime::wait::deadline_of(timeout);
        loop {
            if self.taken.get() >= self.job.len() {
                return Ok(None);
            }
            if let Some(item) = self.ready() {
                run_callbacks(interp, span)?;
                return item.map(Some);
            }
            // The whole job failed (a worker died, the pool ended): that
            // error once, then the iterator is done.
            if let Some(e) = self.job.error.borrow_mut().take() {
                self.taken.set(self.job.len());
                return Err(e);
            }
            if matches!(pool.status.get(), Status::Terminated | Status::Joined) {
                self.taken.set(self.job.len());
                return Err(ErrorObj::new(ErrorKind::ProcessError, "the pool ended before these results arrived"));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(ErrorObj::new(ErrorKind::TimeoutError, "the next result did not arrive in time"));
            }
            if pool.status.get() != Status::Joined {
                drain(interp, pool)?;
            }
            if self.ready_soon() {
                continue;
            }
            wait_slice(interp, pool, deadline, span)?;
            if pool.last_check.get().elapsed() > crate::runtime::wait::SLICE {
                check_workers(interp, pool)?;
            }
        }
    }

    /// Whether `drain` brought the next result in.
    fn ready_soon(&self) -> bool {
        let Some(lazy) = self.job.lazy.as_ref() else { return false };
        let lazy = lazy.borrow();
        match lazy.ordered {
            true => lazy.got.get(self.taken.get()).copied().unwrap_or(false),
            false => !lazy.arrived.is_empty(),
        }
    }
}

/// A result iterator's methods (see `runtime::Table`): `next(timeout=nil)`.
pub const RESULTS_TABLE: Table = Table { methods: &[Member::Next], fields: &[] };

pub fn results_method(interp: &mut (impl Host + ?Sized), r: &Rc<ResultIter>, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Next => {
            a.check(0, 1, &["timeout"])?;
            let timeout = timeout_arg(a, 0)?;
            match r.next_item(interp, timeout, a.span)? {
                Some(v) => Ok(v),
                None => Err(ErrorObj::new(ErrorKind::StopIteration, "the iterator has no more results")),
            }
        }
        _ => Err(no_method(&Handle::Results(r.clone()), m)),
    }
}
