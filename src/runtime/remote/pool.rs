//! `m.pool(name)`: the local pool's API (`pool/`) with its workers on any
//! machine (`mpscript worker URL --pool NAME`). The pool's owner side is
//! the local one — jobs split into chunks, results put back in order,
//! callbacks at waiting points; only the transport differs:
//!
//! ```text
//! task    an item of the remote queue mps:p:NAME:
//!         attempts u8 | reply key length u16 | reply key | the local task bytes
//! result  LPUSH on the reply key mps:p:NAME:r:HOST:PID:N: the local result bytes
//! ```
//! A worker holds its task in its held list until it has pushed the
//! result; a worker that dies is noticed by whoever waits on the queue
//! (the owner waiting for results, an idle worker) and its task goes back
//! to the queue and runs on another worker. A task that `MAX_ATTEMPTS`
//! workers died running is not tried again: it fails in the caller with a
//! `ProcessError` (a task that kills every worker must not go round forever).

use super::conn::{self, Server};
use super::queue::RemoteQueue;
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use crate::runtime::pool::{self, Pool};
use crate::runtime::Host;
use crate::syntax::span::Span;
use std::rc::Rc;
use std::time::Duration;

/// Chunk sizes of a remote pool's jobs are made for this many workers.
pub const WORKERS_GUESS: usize = 4;
/// How many workers may die running one task before it fails.
pub const MAX_ATTEMPTS: u8 = 3;
/// How long an unread reply list is kept (its caller ended early).
const REPLY_TTL_SECS: u64 = 24 * 3600;

pub struct Link {
    pub server: Rc<Server>,
    pub name: String,
    pub(super) tasks: RemoteQueue,
    /// Where this pool's results arrive.
    reply: String,
}

/// The task queue of pool `name`.
pub(super) fn task_queue(server: Rc<Server>, name: &str) -> R<RemoteQueue> {
    RemoteQueue::open_keyed(server, name, format!("mps:p:{name}"), None)
}

/// `m.pool(name)`.
pub fn open(interp: &mut (impl Host + ?Sized), server: Rc<Server>, name: &str) -> R<Rc<Pool>> {
    let tasks = task_queue(server.clone(), name)?;
    let n: u64 = server.run(|c| redis::cmd("INCR").arg("mps:p:callers").query(c))?;
    let reply = format!("mps:p:{name}:r:{}:{n}", super::me());
    Ok(pool::new_remote(interp, Link { server, name: name.to_string(), tasks, reply }))
}

impl Link {
    /// Queue a task (`pool/jobs.rs` bytes) with this pool's reply key.
    pub fn put_task(&self, interp: &mut (impl Host + ?Sized), task: &[u8], span: Span) -> R<()> {
        let mut item = Vec::with_capacity(3 + self.reply.len() + task.len());
        item.push(0);
        item.extend((self.reply.len() as u16).to_le_bytes());
        item.extend_from_slice(self.reply.as_bytes());
        item.extend_from_slice(task);
        self.tasks.put_item(interp, &item, true, None, span)
    }

    /// One result: waiting at most `wait` (`None`: do not wait).
    pub fn take_result(
        &self,
        interp: &mut (impl Host + ?Sized),
        wait: Option<Duration>,
        span: Span,
    ) -> R<Option<Vec<u8>>> {
        let reply = &self.reply;
        match wait {
            None => self.server.run(|c| redis::cmd("RPOP").arg(reply).query(c)),
            Some(d) => conn::wait(
                interp,
                &self.server,
                span,
                Some(d.as_secs_f64()),
                |c, secs| {
                    let r: Option<(String, Vec<u8>)> = redis::cmd("BRPOP").arg(reply).arg(secs).query(c)?;
                    Ok(r.map(|(_, v)| v))
                },
                |_| Ok(()),
            ),
        }
    }

    /// Put the tasks of dead workers back in the queue.
    pub fn recover(&self) -> R<()> {
        self.tasks.maybe_recover()
    }

    /// The pool ended early: its late results are not wanted.
    pub fn forget(&self) {
        let _ = self.server.run(|c| redis::cmd("DEL").arg(&self.reply).query::<()>(c));
    }
}

/// A task taken by a worker: where its result goes and the task bytes.
pub(super) struct Task {
    pub attempts: u8,
    pub reply: String,
    pub bytes: Vec<u8>,
}

impl Task {
    pub fn parse(item: &[u8]) -> R<Task> {
        let bad = || ErrorObj::new(ErrorKind::ValueError, "a remote pool task arrived damaged");
        let (&attempts, rest) = item.split_first().ok_or_else(bad)?;
        let (len, rest) = rest.split_first_chunk::<2>().ok_or_else(bad)?;
        let len = u16::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err(bad());
        }
        let (reply, bytes) = rest.split_at(len);
        let reply = String::from_utf8(reply.to_vec()).map_err(|_| bad())?;
        Ok(Task { attempts, reply, bytes: bytes.to_vec() })
    }

    /// Send a result back (kept a day if nobody reads it).
    pub fn reply(&self, server: &Server, result: &[u8]) -> R<()> {
        server.run(|c| {
            redis::pipe()
                .cmd("LPUSH")
                .arg(&self.reply)
                .arg(result)
                .ignore()
                .cmd("EXPIRE")
                .arg(&self.reply)
                .arg(REPLY_TTL_SECS)
                .ignore()
                .query::<()>(c)
        })
    }
}
