//! Queues, dicts and pools that live in a Redis server, shared by mpscript
//! processes on any machines (`manager(url, authkey=)`).
//!
//! Keys (every name under `mps:`):
//! ```text
//! mps:q:NAME                 list   the queue's items (put: LPUSH; get: from the right)
//! mps:q:NAME:max             string its maxsize, fixed by the first m.queue(NAME, maxsize=)
//! mps:q:NAME:room            list   one token per free place (bounded queues)
//! mps:q:NAME:todo            string unfinished tasks (put − task_done)
//! mps:q:NAME:done            list   one token while todo is 0 (join waits on it)
//! mps:q:NAME:held:HOST:PID   list   the item PID took last and has not finished
//! mps:d:NAME                 hash   a dict: encoded key → encoded value
//! mps:d:NAME:order/:seq      zset   insertion order of the keys
//! mps:d:NAME:lock            string `lock d { }`: the holder, with a lease (PX)
//! mps:d:NAME:unlock          list   a token pushed on release (waiters block on it)
//! mps:alive:HOST:PID         string a process's lease, renewed while it uses the server
//! mps:p:NAME                 a pool's task queue (as a queue), results on
//! mps:p:NAME:r:HOST:PID:N    list   one caller pool's results
//! ```
//! An item is one attempts byte, then the wire message of its value
//! (`value::wire`, so every value and function round-trips exactly).
//!
//! Reliability: `get` moves the item atomically (BLMOVE) into the getter's
//! held list, where it stays until the getter finishes it — `task_done()`,
//! its next `get` from that queue, or its normal end. An item held by a
//! process that died (a pid gone on this machine, or a lease expired on
//! another) goes back to the front of the queue with its attempts byte
//! raised, found by any process waiting on that queue.

pub mod conn;
pub mod dict;
pub mod pool;
pub mod queue;
pub mod worker;

use super::process;
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use crate::runtime::{Handle, Host, Table};
use crate::syntax::member::Member;
use crate::value::{self, Args, Value};
use conn::Server;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// `m = manager(url, authkey=)`: a connection to a Redis server.
pub struct Manager {
    pub server: Rc<Server>,
}

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Manager {
    pub fn describe(&self) -> String {
        format!("<manager {}>", self.server.shown)
    }
}

/// `manager(url, authkey=nil)`: connects at once, so a wrong authkey or an
/// unreachable server shows here.
pub fn new_manager(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(1, 2, &["url", "authkey"])?;
    let url = a.opt(0, "url").cloned().unwrap_or(Value::Nil);
    let url = value::expect_str(&url, "manager", "the URL")?;
    let authkey = match a.opt(1, "authkey") {
        None | Some(Value::Nil) => None,
        Some(v) => Some(value::expect_str(v, "manager", "authkey")?.to_string()),
    };
    process::start(interp);
    let server = Server::parse(&url, authkey.as_deref())?;
    server.check()?;
    Ok(Value::Handle(Handle::Manager(Rc::new(Manager { server: Rc::new(server) }))))
}

/// A manager's methods (see `runtime::Table`).
pub const TABLE: Table = Table { methods: &[Member::Queue, Member::Dict, Member::Pool], fields: &[] };

/// `m.queue(name, maxsize=)`, `m.dict(name)`, `m.pool(name)`.
pub fn call_method(interp: &mut (impl Host + ?Sized), mg: &Rc<Manager>, m: &Member, a: &mut Args) -> R<Value> {
    let server = mg.server.clone();
    let name_arg = |a: &Args| -> R<String> {
        let v = a.opt(0, "name").cloned().unwrap_or(Value::Nil);
        let s = value::expect_str(&v, &a.func(), "the name")?;
        if s.is_empty() {
            return Err(ErrorObj::new(ErrorKind::ValueError, format!("{}(): the name must not be empty", a.func())));
        }
        Ok(s.to_string())
    };
    match m {
        Member::Queue => {
            a.check(1, 2, &["name", "maxsize"])?;
            let maxsize = match a.opt(1, "maxsize") {
                None | Some(Value::Nil) => None,
                Some(v) => Some(value::expect_int(v, &a.func(), "maxsize")?.max(0)),
            };
            let q = queue::RemoteQueue::open(server, &name_arg(a)?, maxsize)?;
            Ok(Value::Handle(Handle::RemoteQueue(Rc::new(q))))
        }
        Member::Dict => {
            a.check(1, 1, &["name"])?;
            Ok(Value::Handle(Handle::RemoteDict(Rc::new(dict::RemoteDict::new(server, &name_arg(a)?)))))
        }
        Member::Pool => {
            a.check(1, 1, &["name"])?;
            let p = pool::open(interp, server, &name_arg(a)?)?;
            Ok(Value::Handle(Handle::Pool(p)))
        }
        _ => Err(super::no_method(&Handle::Manager(mg.clone()), m)),
    }
}

/// This machine's name, as other machines see it in held-list keys.
pub fn host() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let name = name.trim().replace(':', "_");
        if name.is_empty() {
            "localhost".into()
        } else {
            name
        }
    })
}

/// `HOST:PID` of this process.
pub fn me() -> String {
    format!("{}:{}", host(), process::my_pid())
}

/// Alive and not a zombie, on this machine.
fn pid_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

/// How long a process's lease lasts without renewal (other machines
/// count it dead after that).
pub const LEASE: Duration = Duration::from_secs(30);

/// Whether the process `HOST:PID` is gone: by its pid on this machine, by
/// its expired lease on another.
pub fn holder_dead(c: &mut redis::Connection, who: &str) -> redis::RedisResult<bool> {
    let Some((h, pid)) = who.rsplit_once(':') else { return Ok(false) };
    let Ok(pid) = pid.parse::<i32>() else { return Ok(false) };
    if h == host() {
        return Ok(pid != process::my_pid() && !pid_alive(pid));
    }
    let alive: bool = redis::cmd("EXISTS").arg(format!("mps:alive:{who}")).query(c)?;
    Ok(!alive)
}

thread_local! {
    /// When this process last renewed its lease (and as which pid).
    static RENEWED: Cell<(i32, Option<Instant>)> = const { Cell::new((0, None)) };
    /// Held lists this process may have items in, to finish at its end.
    static HELD: RefCell<Vec<(i32, Rc<Server>, String)>> = const { RefCell::new(Vec::new()) };
}

/// Renew this process's lease (at most every few seconds).
pub fn renew_lease(server: &Server) -> R<()> {
    let me_pid = process::my_pid();
    let (pid, last) = RENEWED.get();
    if pid == me_pid && last.is_some_and(|t| t.elapsed() < LEASE / 6) {
        return Ok(());
    }
    RENEWED.set((me_pid, Some(Instant::now())));
    let key = format!("mps:alive:{}", me());
    server.run(|c| redis::cmd("SET").arg(&key).arg(1).arg("EX").arg(LEASE.as_secs()).query::<()>(c))
}

/// Note a held list of this process (finished at its normal end).
fn note_held(server: &Rc<Server>, key: &str) {
    let pid = process::my_pid();
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        h.retain(|(p, _, _)| *p == pid);
        if !h.iter().any(|(_, s, k)| k == key && Rc::ptr_eq(s, server)) {
            h.push((pid, server.clone(), key.to_string()));
        }
    });
}

/// The normal end of a process: what it took is done (a process killed
/// before this has its items run again). After Ctrl-C nothing is finished.
pub fn at_exit(interrupted: bool) {
    let pid = process::my_pid();
    let held = HELD.with(|h| std::mem::take(&mut *h.borrow_mut()));
    if interrupted {
        return;
    }
    for (p, server, key) in held {
        if p == pid {
            let _ = server.run(|c| redis::cmd("DEL").arg(&key).query::<()>(c));
        }
    }
    let _ = pid;
}

/// Put the items of dead processes' held lists of `items` back at its
/// front (the end `get` takes from), each with its attempts byte raised.
pub fn recover(server: &Server, items: &str) -> R<usize> {
    let pattern = format!("{items}:held:*");
    let keys: Vec<String> = server.run(|c| {
        let mut out = Vec::new();
        let mut cursor: u64 = 0;
        loop {
            let (next, batch): (u64, Vec<String>) =
                redis::cmd("SCAN").arg(cursor).arg("MATCH").arg(&pattern).arg("COUNT").arg(200).query(c)?;
            out.extend(batch);
            if next == 0 {
                return Ok(out);
            }
            cursor = next;
        }
    })?;
    let mut moved = 0;
    for key in keys {
        let who = &key[pattern.len() - 1..];
        if !server.run(|c| holder_dead(c, who))? {
            continue;
        }
        let n: usize = server.run(|c| RECOVER.with(|s| s.key(&key).key(items).invoke(c)))?;
        moved += n;
    }
    Ok(moved)
}

thread_local! {
    static RECOVER: redis::Script = redis::Script::new(
        r"local n = 0
          while true do
            local it = redis.call('RPOP', KEYS[1])
            if not it then break end
            local a = string.byte(it, 1) or 0
            if a < 255 then a = a + 1 end
            redis.call('RPUSH', KEYS[2], string.char(a) .. string.sub(it, 2))
            n = n + 1
          end
          return n",
    );
}

/// Encode a value as an item: attempts byte 0, then its wire message.
pub fn item_of(interp: &(impl Host + ?Sized), v: &Value) -> R<Vec<u8>> {
    let mut out = vec![0u8];
    value::wire::encode_into(interp.codec(), v, &mut out)?;
    Ok(out)
}

/// Decode an item made by `item_of`.
pub fn value_of(interp: &mut (impl Host + ?Sized), item: &[u8]) -> R<Value> {
    match item.split_first() {
        Some((_, msg)) => value::wire::decode(interp.codec_mut(), msg),
        None => Err(ErrorObj::new(ErrorKind::ValueError, "a remote item arrived damaged")),
    }
}
