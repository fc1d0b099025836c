//! The connection to a Redis server: one per process and server, opened
//! lazily and never shared across `fork` (a child finds its parent's in
//! the cache under another pid, drops it — closing only its own copy of the
//! socket — and opens its own).
//!
//! Every round trip runs with the catchable signals blocked, so a Ctrl-C
//! never cuts a reply in half and leaves the connection out of step; a
//! blocking command waits at most one `SLICE`, and the signal is handled
//! between slices (`wait`). The socket's read timeout bounds a round trip
//! when the server stops answering, so a lost server is an error, never a
//! hang. The authkey lives in the `ConnectionInfo` only: no text made here
//! (descriptions, errors) contains it.

use super::super::table::WaitKind;
use super::super::{process, safe_point, signals, wait};
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use crate::runtime::Host;
use crate::syntax::span::Span;
use redis::{ConnectionAddr, ConnectionInfo, ConnectionLike, IntoConnectionInfo, RedisError, RedisResult};
use std::cell::RefCell;
use std::time::{Duration, Instant};

/// The longest single blocking command: how late a signal is handled.
pub const SLICE: Duration = Duration::from_millis(100);
/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a round trip may take beyond its own blocking time.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// One server: where it is and how to log in.
pub struct Server {
    info: ConnectionInfo,
    /// `host:port` (or the socket path), for messages.
    pub addr: String,
    /// `redis://host:port/db` without any password.
    pub shown: String,
}

impl Server {
    /// Parse `redis://host:port/db` (or `rediss://`, `unix://`); `authkey`,
    /// when given, is the password (it wins over one in the URL).
    pub fn parse(url: &str, authkey: Option<&str>) -> R<Server> {
        let bad = |why: String| {
            ErrorObj::new(ErrorKind::ValueError, format!("manager(): {why}"))
                .with_help("give a URL such as \"redis://127.0.0.1:6379/0\"")
        };
        let mut info = url.into_connection_info().map_err(|e| bad(format!("not a Redis URL ({})", e.kind_text())))?;
        if !info.addr().is_supported() {
            return Err(bad("this build has no TLS support for rediss:// URLs".into()));
        }
        if let Some(key) = authkey {
            let settings = info.redis_settings().clone().set_password(key);
            info = info.set_redis_settings(settings);
        }
        let addr = match info.addr() {
            ConnectionAddr::Tcp(h, p) | ConnectionAddr::TcpTls { host: h, port: p, .. } => format!("{h}:{p}"),
            ConnectionAddr::Unix(path) => path.display().to_string(),
            _ => "the server".to_string(),
        };
        let scheme = if matches!(info.addr(), ConnectionAddr::Unix(_)) { "unix" } else { "redis" };
        let shown = format!("{scheme}://{addr}/{}", info.redis_settings().db());
        Ok(Server { info, addr, shown })
    }

    /// Connect now (the manager checks the server and the authkey at once).
    pub fn check(&self) -> R<()> {
        self.run(|c| redis::cmd("PING").query::<()>(c))
    }

    fn connect(&self) -> R<redis::Connection> {
        let client = redis::Client::open(self.info.clone()).map_err(|e| self.error(e))?;
        let mut con = client.get_connection_with_timeout(CONNECT_TIMEOUT).map_err(|e| self.error(e))?;
        con.set_read_timeout(Some(SLICE + REPLY_TIMEOUT)).map_err(|e| self.error(e))?;
        con.set_write_timeout(Some(REPLY_TIMEOUT)).map_err(|e| self.error(e))?;
        // A password the server does not ask for, or none where it asks for
        // one, shows on the first command: make it show here.
        redis::cmd("PING").query::<()>(&mut con).map_err(|e| self.error(e))?;
        Ok(con)
    }

    /// Run `f` on this process's connection to the server, with signals
    /// held back until it returns. A broken connection is dropped (the
    /// next call opens a new one).
    pub fn run<T>(&self, f: impl FnOnce(&mut redis::Connection) -> RedisResult<T>) -> R<T> {
        let me = process::my_pid();
        let cached = CONNS.with(|c| {
            let mut c = c.borrow_mut();
            // Connections a forked child inherited: its parent's, not its own.
            c.retain(|(pid, _, _)| *pid == me);
            c.iter().position(|(_, k, _)| *k == self.key()).map(|i| c.swap_remove(i).2)
        });
        let mut con = match cached {
            Some(con) => con,
            None => masked(|| self.connect())?,
        };
        let out = masked(|| f(&mut con));
        match out {
            Ok(v) => {
                CONNS.with(|c| c.borrow_mut().push((me, self.key(), con)));
                Ok(v)
            }
            Err(e) => {
                let broken = e.is_io_error() || e.is_connection_dropped() || e.is_timeout() || !con.is_open();
                if !broken {
                    CONNS.with(|c| c.borrow_mut().push((me, self.key(), con)));
                }
                Err(self.error(e))
            }
        }
    }

    /// Which cached connection is this server's (the password is part of
    /// the identity, but never shown).
    fn key(&self) -> String {
        let s = self.info.redis_settings();
        format!("{}|{}|{}|{}", self.shown, s.username().unwrap_or(""), s.password().unwrap_or(""), s.db())
    }

    /// A Redis error in the script's words; never contains the authkey.
    pub fn error(&self, e: RedisError) -> Box<ErrorObj> {
        let addr = &self.addr;
        let text = e.to_string();
        let auth = matches!(e.kind(), redis::ErrorKind::AuthenticationFailed)
            || ["NOAUTH", "WRONGPASS", "AUTH", "NOPERM"].iter().any(|w| text.contains(w));
        if auth {
            return ErrorObj::new(
                ErrorKind::AuthenticationError,
                format!("the Redis server at {addr} refused the authkey"),
            )
            .with_help("give the server's password: manager(url, authkey=\"…\") or --authkey");
        }
        if e.is_io_error() || e.is_connection_refusal() || e.is_connection_dropped() || e.is_timeout() {
            let why = io_reason(&e);
            return ErrorObj::new(
                ErrorKind::ConnectionError,
                format!("cannot reach the Redis server at {addr}: {why}"),
            )
            .with_help("is redis-server running there, and reachable from this machine?");
        }
        ErrorObj::new(ErrorKind::IOError, format!("the Redis server at {addr} answered: {}", e.kind_text()))
    }
}

trait KindText {
    fn kind_text(&self) -> String;
}

impl KindText for RedisError {
    /// The error's own words, without any URL it may quote.
    fn kind_text(&self) -> String {
        match self.detail() {
            Some(d) => format!("{}: {d}", self.category()),
            None => self.category().to_string(),
        }
    }
}

fn io_reason(e: &RedisError) -> String {
    if e.is_timeout() {
        return "no answer in time".into();
    }
    if e.is_connection_refusal() {
        return "connection refused".into();
    }
    if e.is_connection_dropped() {
        return "the connection was lost".into();
    }
    e.kind_text()
}

thread_local! {
    /// This process's connections: (pid that opened it, server key, connection).
    static CONNS: RefCell<Vec<(i32, String, redis::Connection)>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` with the catchable asynchronous signals blocked; one that
/// arrives meanwhile is delivered (and noted for the next safe point) when
/// they are unblocked.
fn masked<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: sigset manipulation on local sets; pthread_sigmask changes
    // only this thread's mask and is restored below.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        for sync in [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL, libc::SIGABRT, libc::SIGTRAP] {
            libc::sigdelset(&mut all, sync);
        }
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
        let out = f();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        out
    }
}

/// Block on the server until `attempt` gives something, or `timeout`
/// passes (`None`). `attempt` gets the seconds one blocking command may
/// wait. The wait shows in `:ps` and `--trace` as a wait for the outside
/// world (never a deadlock); between slices, signals are handled and
/// `idle` runs (recovery of items a dead process held, lease refresh).
pub fn wait<H: Host + ?Sized, T>(
    interp: &mut H,
    server: &Server,
    span: Span,
    timeout: Option<f64>,
    mut attempt: impl FnMut(&mut redis::Connection, f64) -> RedisResult<Option<T>>,
    mut idle: impl FnMut(&mut H) -> R<()>,
) -> R<Option<T>> {
    let deadline = wait::deadline_of(timeout);
    let _rec = wait::begin(interp, WaitKind::Remote, span, 0, timeout.is_some())?;
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let slice = left.map_or(SLICE, |l| l.min(SLICE));
        // Redis reads a timeout of 0 as "forever": the last slice is 1 ms.
        let secs = slice.as_secs_f64().max(0.001);
        if let Some(v) = server.run(|c| attempt(c, secs))? {
            return Ok(Some(v));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
        if signals::ANY_PENDING.load(std::sync::atomic::Ordering::Relaxed) {
            safe_point(interp)?;
        }
        idle(interp)?;
    }
}
