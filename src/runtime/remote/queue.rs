//! `m.queue(name, maxsize=)`: a joinable FIFO queue in Redis, with every
//! method of a local queue. Keys and reliability: see `mod.rs`.
//!
//! - put: (bounded: take a room token, BLPOP) then, in one transaction,
//!   INCR todo, DEL done, LPUSH the item.
//! - get: BLMOVE from the queue's right end into this process's held list
//!   (emptied first: the previous item is finished), then give a room token
//!   back (bounded).
//! - task_done: DECR todo (never below 0) and, at 0, push the done token;
//!   join waits for the token (BLMOVE of the list onto itself, so every
//!   joiner sees it).
//!
//! An item put back by recovery takes no room token: a bounded queue may
//! hold more than maxsize items for a moment after a consumer died.

use super::conn::{self, Server};
use super::{item_of, note_held, recover, renew_lease, value_of};
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use crate::runtime::{no_field, no_method, process, timeout_arg, Handle, Host, Table};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{Args, Value};
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

pub struct RemoteQueue {
    server: Rc<Server>,
    name: String,
    /// The list of items.
    items: String,
    maxsize: i64,
    /// When this process last looked for items of dead processes.
    recovered: Cell<Option<(i32, Instant)>>,
}

impl std::fmt::Debug for RemoteQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// How often an idle getter looks for items of dead processes.
const RECOVER_EVERY: Duration = Duration::from_millis(500);

impl RemoteQueue {
    /// The queue `name`; `maxsize` fixes its size if it has none yet.
    pub fn open(server: Rc<Server>, name: &str, maxsize: Option<i64>) -> R<RemoteQueue> {
        Self::open_keyed(server, name, format!("mps:q:{name}"), maxsize)
    }

    pub(super) fn open_keyed(server: Rc<Server>, name: &str, items: String, maxsize: Option<i64>) -> R<RemoteQueue> {
        let max_key = format!("{items}:max");
        let room = format!("{items}:room");
        let stored: i64 = match maxsize {
            Some(n) => server.run(|c| INIT.with(|s| s.key(&max_key).key(&room).arg(n).invoke(c)))?,
            None => server.run(|c| redis::cmd("GET").arg(&max_key).query::<Option<i64>>(c))?.unwrap_or(0),
        };
        if let Some(n) = maxsize {
            if n != stored {
                return Err(ErrorObj::new(
                    ErrorKind::ValueError,
                    format!("remote queue `{name}` already exists with maxsize {stored}, not {n}"),
                )
                .with_help("leave maxsize out to use the queue as it is, or use another name"));
            }
        }
        Ok(RemoteQueue { server, name: name.to_string(), items, maxsize: stored, recovered: Cell::new(None) })
    }

    pub fn describe(&self) -> String {
        format!("<remote queue `{}` maxsize={} on {}>", self.name, self.maxsize, self.server.shown)
    }

    fn key(&self, part: &str) -> String {
        format!("{}:{part}", self.items)
    }

    fn held(&self) -> String {
        format!("{}:held:{}", self.items, super::me())
    }

    /// Look for items of dead processes now and then (and at first use).
    pub(super) fn maybe_recover(&self) -> R<()> {
        let pid = process::my_pid();
        if let Some((p, t)) = self.recovered.get() {
            if p == pid && t.elapsed() < RECOVER_EVERY {
                return Ok(());
            }
        }
        self.recovered.set(Some((pid, Instant::now())));
        renew_lease(&self.server)?;
        recover(&self.server, &self.items).map(|_| ())
    }

    /// Put item bytes (made by `item_of`).
    pub fn put_item(
        &self,
        interp: &mut (impl Host + ?Sized),
        item: &[u8],
        block: bool,
        timeout: Option<f64>,
        span: Span,
    ) -> R<()> {
        if self.maxsize > 0 {
            let room = self.key("room");
            let got = match block {
                false => self.server.run(|c| redis::cmd("LPOP").arg(&room).query::<Option<Vec<u8>>>(c))?,
                true => conn::wait(
                    interp,
                    &self.server,
                    span,
                    timeout,
                    |c, secs| {
                        let r: Option<(String, Vec<u8>)> = redis::cmd("BLPOP").arg(&room).arg(secs).query(c)?;
                        Ok(r.map(|(_, t)| t))
                    },
                    |_| Ok(()),
                )?,
            };
            if got.is_none() {
                return Err(ErrorObj::new(ErrorKind::Full, format!("remote queue `{}` is full", self.name)));
            }
        }
        let (todo, done) = (self.key("todo"), self.key("done"));
        self.server.run(|c| {
            redis::pipe()
                .atomic()
                .cmd("INCR")
                .arg(&todo)
                .ignore()
                .cmd("DEL")
                .arg(&done)
                .ignore()
                .cmd("LPUSH")
                .arg(&self.items)
                .arg(item)
                .ignore()
                .query::<()>(c)
        })
    }

    /// Take the oldest item (bytes as `item_of` made them), holding it
    /// until this process finishes it. `None`: none in time.
    pub fn get_item(
        &self,
        interp: &mut (impl Host + ?Sized),
        block: bool,
        timeout: Option<f64>,
        span: Span,
    ) -> R<Option<Vec<u8>>> {
        let held = self.held();
        note_held(&self.server, &held);
        self.maybe_recover()?;
        // The item taken before is finished: a process that comes back for
        // another one is done with it.
        // One round trip: a pipeline (not a transaction, which could not block).
        let take = |c: &mut redis::Connection, secs: Option<f64>| -> redis::RedisResult<Option<Vec<u8>>> {
            let mut p = redis::pipe();
            p.cmd("DEL").arg(&held).ignore();
            match secs {
                None => p.cmd("LMOVE").arg(&self.items).arg(&held).arg("RIGHT").arg("LEFT"),
                Some(s) => p.cmd("BLMOVE").arg(&self.items).arg(&held).arg("RIGHT").arg("LEFT").arg(s),
            };
            let (item,): (Option<Vec<u8>>,) = p.query(c)?;
            Ok(item)
        };
        let got = match block {
            false => self.server.run(|c| take(c, None))?,
            // Straight to the blocking command: one round trip when an item is there.
            true => conn::wait(interp, &self.server, span, timeout, |c, s| take(c, Some(s)), |_| self.maybe_recover())?,
        };
        if got.is_some() && self.maxsize > 0 {
            let room = self.key("room");
            self.server.run(|c| redis::cmd("LPUSH").arg(&room).arg(1).query::<()>(c))?;
        }
        Ok(got)
    }

    pub fn qsize(&self) -> R<i64> {
        self.server.run(|c| redis::cmd("LLEN").arg(&self.items).query(c))
    }

    /// One task finished: `ValueError` if more than were put.
    pub fn task_done(&self) -> R<()> {
        let (todo, done, held) = (self.key("todo"), self.key("done"), self.held());
        let left: i64 = self.server.run(|c| TASK_DONE.with(|s| s.key(&todo).key(&done).key(&held).invoke(c)))?;
        if left < 0 {
            return Err(ErrorObj::new(ErrorKind::ValueError, "task_done() called more times than there were items")
                .with_help("call task_done() once for each item taken with get()"));
        }
        Ok(())
    }

    /// Wait until every item put has been marked done; `false` on timeout.
    pub fn join(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, span: Span) -> R<bool> {
        let (todo, done) = (self.key("todo"), self.key("done"));
        let finished = |c: &mut redis::Connection| -> redis::RedisResult<bool> {
            Ok(redis::cmd("GET").arg(&todo).query::<Option<i64>>(c)?.unwrap_or(0) <= 0)
        };
        if self.server.run(finished)? {
            return Ok(true);
        }
        let got = conn::wait(
            interp,
            &self.server,
            span,
            timeout,
            |c, secs| {
                let _: Option<Vec<u8>> =
                    redis::cmd("BLMOVE").arg(&done).arg(&done).arg("RIGHT").arg("LEFT").arg(secs).query(c)?;
                Ok(finished(c)?.then_some(()))
            },
            |_| Ok(()),
        )?;
        Ok(got.is_some())
    }
}

thread_local! {
    /// Fix a queue's maxsize and its room tokens once; gives the maxsize it has.
    static INIT: redis::Script = redis::Script::new(
        r"if redis.call('SETNX', KEYS[1], ARGV[1]) == 1 then
            for i = 1, tonumber(ARGV[1]) do redis.call('RPUSH', KEYS[2], 1) end
          end
          return tonumber(redis.call('GET', KEYS[1]))",
    );
    /// task_done: −1 when there was nothing to finish.
    static TASK_DONE: redis::Script = redis::Script::new(
        r"local n = redis.call('DECR', KEYS[1])
          if n < 0 then redis.call('INCR', KEYS[1]) return -1 end
          redis.call('DEL', KEYS[3])
          if n == 0 then redis.call('DEL', KEYS[2]) redis.call('RPUSH', KEYS[2], 1) end
          return n",
    );
}

/// A remote queue's methods and fields: the local queue's (see `runtime::Table`).
pub const TABLE: Table = Table {
    methods: &[
        Member::Put,
        Member::PutNowait,
        Member::Get,
        Member::GetNowait,
        Member::Qsize,
        Member::Empty,
        Member::Full,
        Member::TaskDone,
        Member::Join,
        Member::Close,
        Member::JoinThread,
        Member::CancelJoinThread,
    ],
    fields: &[Member::Maxsize, Member::Name],
};

/// The methods of a remote queue (the local queue's, same arguments).
pub fn call_method(interp: &mut (impl Host + ?Sized), q: &Rc<RemoteQueue>, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Put | Member::PutNowait => {
            let (block, timeout) = match m {
                Member::PutNowait => {
                    a.check(1, 1, &[])?;
                    (false, None)
                }
                _ => {
                    a.check(1, 3, &["item", "block", "timeout"])?;
                    (a.opt(1, "block").is_none_or(|v| v.truthy()), timeout_arg(a, 2)?)
                }
            };
            let item = item_of(interp, &a.opt(0, "item").cloned().unwrap_or(Value::Nil))?;
            q.put_item(interp, &item, block, timeout, a.span)?;
            Ok(Value::Nil)
        }
        Member::Get | Member::GetNowait => {
            let (block, timeout) = match m {
                Member::GetNowait => {
                    a.check(0, 0, &[])?;
                    (false, None)
                }
                _ => {
                    a.check(0, 2, &["block", "timeout"])?;
                    (a.opt(0, "block").is_none_or(|v| v.truthy()), timeout_arg(a, 1)?)
                }
            };
            match q.get_item(interp, block, timeout, a.span)? {
                Some(item) => value_of(interp, &item),
                None => Err(ErrorObj::new(ErrorKind::Empty, format!("remote queue `{}` is empty", q.name))),
            }
        }
        Member::Qsize
        | Member::Empty
        | Member::Full
        | Member::TaskDone
        | Member::Close
        | Member::JoinThread
        | Member::CancelJoinThread => {
            a.check(0, 0, &[])?;
            Ok(match m {
                Member::Qsize => Value::Int(q.qsize()?),
                Member::Empty => Value::Bool(q.qsize()? == 0),
                Member::Full => Value::Bool(q.maxsize > 0 && q.qsize()? >= q.maxsize),
                Member::TaskDone => q.task_done().map(|_| Value::Nil)?,
                // Nothing is buffered in this process: put has sent the item.
                _ => Value::Nil,
            })
        }
        Member::Join => {
            a.check(0, 1, &["timeout"])?;
            let timeout = timeout_arg(a, 0)?;
            let done = q.join(interp, timeout, a.span)?;
            Ok(if timeout.is_some() { Value::Bool(done) } else { Value::Nil })
        }
        _ => Err(no_method(&Handle::RemoteQueue(q.clone()), m)),
    }
}

pub fn field_get(q: &Rc<RemoteQueue>, m: &Member) -> R<Value> {
    match m {
        Member::Maxsize => Ok(Value::Int(q.maxsize)),
        Member::Name => Ok(Value::str(&q.name)),
        _ => Err(no_field(&Handle::RemoteQueue(q.clone()), m)),
    }
}
