//! `m.dict(name)`: a dict in a Redis hash, keys in insertion order (a
//! sorted set beside it), and `lock d { }`: a lock held across machines.
//!
//! Keys and values are plain data (as in a shared object), encoded with
//! the wire codec. Each single read or write is atomic; a compound update
//! (`d["n"] += 1`) is atomic only inside `lock d { }`.
//!
//! The lock is `mps:d:NAME:lock` set (NX) to its holder `HOST:PID:N` with
//! a lease of `LOCK_LEASE`: a holder that crashed frees it after the lease
//! at the latest — at once when the holder was on this machine and its pid
//! is gone. A block that runs longer than the lease loses the lock; its
//! end is then a `LockAbandoned` error. Waiters block on `:unlock`, where
//! each release pushes a token.

use super::conn::{self, Server};
use super::holder_dead;
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use crate::runtime::{no_method, process, Handle, Host, Table};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{self, wire, Args, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// How long `lock d { }` may hold the lock.
pub const LOCK_LEASE: Duration = Duration::from_secs(30);

pub struct RemoteDict {
    server: Rc<Server>,
    name: String,
    hash: String,
    /// The lock's token while this process holds it: (pid, token).
    held: RefCell<Option<(i32, String)>>,
}

impl std::fmt::Debug for RemoteDict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl RemoteDict {
    pub fn new(server: Rc<Server>, name: &str) -> RemoteDict {
        RemoteDict { server, name: name.to_string(), hash: format!("mps:d:{name}"), held: RefCell::new(None) }
    }

    pub fn describe(&self) -> String {
        format!("<remote dict `{}` on {}>", self.name, self.server.shown)
    }

    fn key(&self, part: &str) -> String {
        format!("{}:{part}", self.hash)
    }

    fn field(k: &Value) -> R<Vec<u8>> {
        value::Key::from_value(k)?;
        wire::encode_data(k)
    }

    pub fn get(&self, k: &Value) -> R<Option<Value>> {
        let f = Self::field(k)?;
        let v: Option<Vec<u8>> = self.server.run(|c| redis::cmd("HGET").arg(&self.hash).arg(&f).query(c))?;
        v.map(|b| wire::decode_data(&b)).transpose()
    }

    pub fn index_get(&self, k: &Value) -> R<Value> {
        self.get(k)?.ok_or_else(|| ErrorObj::new(ErrorKind::KeyError, value::repr(k)))
    }

    pub fn index_set(&self, k: &Value, v: &Value) -> R<()> {
        let (f, v) = (Self::field(k)?, wire::encode_data(v)?);
        let (order, seq) = (self.key("order"), self.key("seq"));
        self.server.run(|c| SET.with(|s| s.key(&self.hash).key(&order).key(&seq).arg(&f).arg(&v).invoke::<()>(c)))
    }

    /// Remove `k`; its value, if it was there.
    pub fn pop(&self, k: &Value) -> R<Option<Value>> {
        let f = Self::field(k)?;
        let order = self.key("order");
        let v: Option<Vec<u8>> = self.server.run(|c| DEL.with(|s| s.key(&self.hash).key(&order).arg(&f).invoke(c)))?;
        v.map(|b| wire::decode_data(&b)).transpose()
    }

    pub fn len(&self) -> R<i64> {
        self.server.run(|c| redis::cmd("HLEN").arg(&self.hash).query(c))
    }

    pub fn contains(&self, k: &Value) -> R<bool> {
        let f = Self::field(k)?;
        self.server.run(|c| redis::cmd("HEXISTS").arg(&self.hash).arg(&f).query(c))
    }

    /// Every (key, value), in insertion order, read at one moment.
    pub fn pairs(&self) -> R<Vec<(Value, Value)>> {
        let order = self.key("order");
        let flat: Vec<Vec<u8>> = self.server.run(|c| ITEMS.with(|s| s.key(&self.hash).key(&order).invoke(c)))?;
        flat.chunks(2).map(|kv| Ok((wire::decode_data(&kv[0])?, wire::decode_data(&kv[1])?))).collect()
    }

    pub fn snapshot(&self) -> R<Value> {
        let mut map = value::DictMap::default();
        for (k, v) in self.pairs()? {
            map.insert(value::Key::from_value(&k)?, v);
        }
        Ok(Value::dict(map))
    }

    pub fn clear(&self) -> R<()> {
        let (order, seq) = (self.key("order"), self.key("seq"));
        self.server.run(|c| redis::cmd("DEL").arg(&self.hash).arg(&order).arg(&seq).query::<()>(c))
    }

    /// `lock d { }`: take the lock (waiting as long as it takes).
    pub fn lock(&self, interp: &mut (impl Host + ?Sized), span: Span) -> R<()> {
        let pid = process::my_pid();
        if self.held.borrow().as_ref().is_some_and(|(p, _)| *p == pid) {
            return Err(ErrorObj::new(
                ErrorKind::Deadlock,
                format!("this process already holds the lock of remote dict `{}`", self.name),
            )
            .with_help("a `lock d { }` block inside another one on the same dict waits for itself"));
        }
        let token = format!("{}:{}", super::me(), fastrand::u64(..));
        let (lock, unlock) = (self.key("lock"), self.key("unlock"));
        let lease = LOCK_LEASE.as_millis() as u64;
        let take = |c: &mut redis::Connection| -> redis::RedisResult<bool> {
            let ok: Option<String> =
                redis::cmd("SET").arg(&lock).arg(&token).arg("NX").arg("PX").arg(lease).query(c)?;
            if ok.is_some() {
                return Ok(true);
            }
            // A holder on this machine whose pid is gone frees it at once.
            let holder: Option<String> = redis::cmd("GET").arg(&lock).query(c)?;
            if let Some(h) = holder {
                let who = h.rsplit_once(':').map_or(h.as_str(), |(w, _)| w);
                if who.rsplit_once(':').is_some_and(|(host, _)| host == super::host()) && holder_dead(c, who)? {
                    let stolen: i64 = STEAL.with(|s| s.key(&lock).arg(&h).arg(&token).arg(lease).invoke(c))?;
                    return Ok(stolen == 1);
                }
            }
            Ok(false)
        };
        let mut got = self.server.run(take)?;
        if !got {
            got = conn::wait(
                interp,
                &self.server,
                span,
                None,
                |c, secs| {
                    if take(c)? {
                        return Ok(Some(()));
                    }
                    let _: Option<(String, Vec<u8>)> = redis::cmd("BLPOP").arg(&unlock).arg(secs).query(c)?;
                    Ok(take(c)?.then_some(()))
                },
                |_| Ok(()),
            )?
            .is_some();
        }
        debug_assert!(got);
        *self.held.borrow_mut() = Some((pid, token));
        Ok(())
    }

    /// The end of `lock d { }`.
    pub fn unlock(&self) -> R<()> {
        let pid = process::my_pid();
        let token = match self.held.borrow_mut().take() {
            Some((p, t)) if p == pid => t,
            _ => {
                return Err(ErrorObj::new(
                    ErrorKind::ValueError,
                    format!("this process does not hold the lock of remote dict `{}`", self.name),
                ))
            }
        };
        let (lock, unlock) = (self.key("lock"), self.key("unlock"));
        let mine: i64 = self.server.run(|c| RELEASE.with(|s| s.key(&lock).key(&unlock).arg(&token).invoke(c)))?;
        if mine != 1 {
            return Err(ErrorObj::new(
                ErrorKind::LockAbandoned,
                format!(
                    "the lock of remote dict `{}` was lost: the block ran longer than its {} s lease",
                    self.name,
                    LOCK_LEASE.as_secs()
                ),
            )
            .with_help("another process may have changed the dict meanwhile; keep `lock d { }` blocks short"));
        }
        Ok(())
    }
}

thread_local! {
    static SET: redis::Script = redis::Script::new(
        r"if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) == 1 then
            redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
          end",
    );
    static DEL: redis::Script = redis::Script::new(
        r"local v = redis.call('HGET', KEYS[1], ARGV[1])
          redis.call('HDEL', KEYS[1], ARGV[1])
          redis.call('ZREM', KEYS[2], ARGV[1])
          return v",
    );
    static ITEMS: redis::Script = redis::Script::new(
        r"local out = {}
          for _, f in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
            local v = redis.call('HGET', KEYS[1], f)
            if v then table.insert(out, f) table.insert(out, v) end
          end
          return out",
    );
    static STEAL: redis::Script = redis::Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1
          end
          return 0",
    );
    static RELEASE: redis::Script = redis::Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
            redis.call('DEL', KEYS[1])
            redis.call('DEL', KEYS[2])
            redis.call('RPUSH', KEYS[2], 1)
            return 1
          end
          return 0",
    );
}

/// A remote dict's methods (see `runtime::Table`).
pub const TABLE: Table = Table {
    methods: &[
        Member::Keys,
        Member::Values,
        Member::Items,
        Member::Snapshot,
        Member::Clear,
        Member::Get,
        Member::Pop,
        Member::Update,
    ],
    fields: &[],
};

/// The methods of a remote dict: those of a dict that read or write it.
pub fn call_method(d: &Rc<RemoteDict>, m: &Member, a: &mut Args) -> R<Value> {
    let list = |xs: Vec<Value>| Ok(Value::list(xs));
    match m {
        Member::Keys | Member::Values | Member::Items | Member::Snapshot | Member::Clear => {
            a.check(0, 0, &[])?;
            match m {
                Member::Keys => list(d.pairs()?.into_iter().map(|(k, _)| k).collect()),
                Member::Values => list(d.pairs()?.into_iter().map(|(_, v)| v).collect()),
                Member::Items => list(d.pairs()?.into_iter().map(|(k, v)| Value::list(vec![k, v])).collect()),
                Member::Snapshot => d.snapshot(),
                _ => d.clear().map(|_| Value::Nil),
            }
        }
        Member::Get => {
            a.check(1, 2, &["key", "default"])?;
            Ok(d.get(a.get(0))?.unwrap_or_else(|| a.opt(1, "default").cloned().unwrap_or(Value::Nil)))
        }
        Member::Pop => {
            a.check(1, 2, &["key", "default"])?;
            match (d.pop(a.get(0))?, a.opt(1, "default")) {
                (Some(v), _) => Ok(v),
                (None, Some(dflt)) => Ok(dflt.clone()),
                (None, None) => Err(ErrorObj::new(ErrorKind::KeyError, value::repr(a.get(0)))),
            }
        }
        Member::Update => {
            a.check(1, 1, &[])?;
            let Value::Dict(other) = a.get(0) else {
                return Err(ErrorObj::new(
                    ErrorKind::TypeError,
                    format!("update() needs a dict, not {}", value::type_name(a.get(0))),
                ));
            };
            let pairs: Vec<(Value, Value)> = other.borrow().iter().map(|(k, v)| (k.to_value(), v.clone())).collect();
            for (k, v) in pairs {
                d.index_set(&k, &v)?;
            }
            Ok(Value::Nil)
        }
        _ => Err(no_method(&Handle::RemoteDict(d.clone()), m)),
    }
}
