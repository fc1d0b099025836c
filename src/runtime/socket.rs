//! `socket`: TCP. `listen(host, port)` makes a server socket, `accept`
//! gives one socket per connection, `connect(host, port)` makes a client
//! socket; `send`/`recv` move bytes.
//!
//! A socket is one descriptor of this process, non-blocking (`O_NONBLOCK`
//! is shared by every process holding the same open socket, so every
//! process treats it the same way): each blocking call tries first, then
//! waits through `wait.rs` — recorded in the process table as a wait for
//! the outside world (never a deadlock), interruptible by Ctrl-C and
//! `--timeout`, with the script's own `timeout=` if it gave one.
//!
//! Crossing processes: a `spawn`ed child inherits the descriptor (closing
//! its copy leaves the parent's open); a socket in a queue item, a pipe
//! message or a pool task travels as the descriptor itself, through the
//! depot of `fdpass.rs`. Sockets are closed on `close()`, or when the last
//! handle to them in a process goes away. `send` never raises SIGPIPE
//! (`MSG_NOSIGNAL`): a closed peer is a `BrokenPipeError`.

use super::table::WaitKind;
use super::{wait, Handle, Host, Table};
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{self, Args, BuiltinFn, Value};
use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, ToSocketAddrs};
use std::rc::Rc;

pub const BUILTINS: &[(&str, BuiltinFn)] = &[("listen", listen), ("connect", connect)];

/// One socket of this process.
#[derive(Debug)]
pub struct Socket {
    /// -1 once closed here.
    fd: Cell<i32>,
    listening: bool,
    /// The other end of a connection (`None` for a server socket).
    peer: Option<SocketAddr>,
    /// This end's address.
    local: SocketAddr,
    /// Names the socket in the process table while a process waits on it.
    id: u64,
    /// The last `recv` found no data at first: the next one waits for data
    /// before reading (a ping-pong saves its failed read each time).
    starved: Cell<bool>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.close();
    }
}

static NEXT_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// `127.0.0.1:8080` or `[::1]:8080`, as messages show an address.
fn show(a: &SocketAddr) -> String {
    a.to_string()
}

fn os_error_at(kind: ErrorKind, what: String) -> Box<ErrorObj> {
    ErrorObj::new(kind, what)
}

/// An errno from a call on the connection with `addr`, as the script sees it.
fn error_for(errno: i32, what: &str, addr: &str) -> Box<ErrorObj> {
    let text = std::io::Error::from_raw_os_error(errno);
    let (kind, message) = match errno {
        libc::ECONNREFUSED => (ErrorKind::ConnectionRefusedError, format!("{what} {addr}: connection refused")),
        libc::ECONNRESET => (ErrorKind::ConnectionResetError, format!("{what} {addr}: connection reset by peer")),
        libc::EPIPE => (ErrorKind::BrokenPipeError, format!("{what} {addr}: the peer has closed the connection")),
        libc::EADDRINUSE => (ErrorKind::AddressInUseError, format!("{what} {addr}: the address is already in use")),
        libc::ETIMEDOUT => (ErrorKind::TimeoutError, format!("{what} {addr}: timed out")),
        _ => (ErrorKind::OSError, format!("{what} {addr}: {text}")),
    };
    os_error_at(kind, message)
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

/// A `sockaddr` for `addr`, and its length.
fn to_raw(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: an all-zero sockaddr_storage is valid; the writes below stay
    // within it (sockaddr_in and sockaddr_in6 are smaller).
    unsafe {
        let mut st: libc::sockaddr_storage = std::mem::zeroed();
        let len = match addr {
            SocketAddr::V4(a) => {
                let sin = &mut *(&mut st as *mut _ as *mut libc::sockaddr_in);
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr = libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) };
                std::mem::size_of::<libc::sockaddr_in>()
            }
            SocketAddr::V6(a) => {
                let sin6 = &mut *(&mut st as *mut _ as *mut libc::sockaddr_in6);
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_addr = libc::in6_addr { s6_addr: a.ip().octets() };
                sin6.sin6_flowinfo = a.flowinfo();
                sin6.sin6_scope_id = a.scope_id();
                std::mem::size_of::<libc::sockaddr_in6>()
            }
        };
        (st, len as libc::socklen_t)
    }
}

fn from_raw(st: &libc::sockaddr_storage) -> Option<SocketAddr> {
    // SAFETY: the family field says which struct the storage holds.
    unsafe {
        match st.ss_family as i32 {
            libc::AF_INET => {
                let sin = &*(st as *const _ as *const libc::sockaddr_in);
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port))))
            }
            libc::AF_INET6 => {
                let s = &*(st as *const _ as *const libc::sockaddr_in6);
                let ip = Ipv6Addr::from(s.sin6_addr.s6_addr);
                Some(SocketAddr::V6(SocketAddrV6::new(ip, u16::from_be(s.sin6_port), s.sin6_flowinfo, s.sin6_scope_id)))
            }
            _ => None,
        }
    }
}

/// `getsockname` (`peer`: `getpeername`) of `fd`.
fn address_of(fd: i32, peer: bool) -> Option<SocketAddr> {
    // SAFETY: the kernel writes at most `len` bytes into `st`.
    unsafe {
        let mut st: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let p = &mut st as *mut _ as *mut libc::sockaddr;
        let r = if peer { libc::getpeername(fd, p, &mut len) } else { libc::getsockname(fd, p, &mut len) };
        if r != 0 {
            return None;
        }
        from_raw(&st)
    }
}

/// The addresses `host` names (a name is looked up; an empty host or
/// `"0.0.0.0"` is every interface).
fn resolve(host: &str, port: u16, what: &str) -> R<Vec<SocketAddr>> {
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => (host, port)
            .to_socket_addrs()
            .map_err(|e| {
                ErrorObj::new(
                    ErrorKind::OSError,
                    format!("{what} {host}:{port}: cannot resolve the host `{host}` ({e})"),
                )
            })?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(ErrorObj::new(
            ErrorKind::OSError,
            format!("{what} {host}:{port}: the host `{host}` has no address"),
        ));
    }
    Ok(addrs)
}

fn port_arg(a: &Args, pos: usize) -> R<u16> {
    let p = match a.opt(pos, "port") {
        Some(v) => value::expect_int(v, &a.func(), "the port")?,
        None => return Err(ErrorObj::new(ErrorKind::TypeError, format!("{}() needs a port", a.func()))),
    };
    u16::try_from(p)
        .map_err(|_| ErrorObj::new(ErrorKind::ValueError, format!("{}(): port must be 0 to 65535, not {p}", a.func())))
}

fn timeout_of(a: &Args, pos: usize) -> R<Option<f64>> {
    match a.opt(pos, "timeout") {
        None | Some(Value::Nil) => Ok(None),
        Some(v) => wait::timeout_secs(value::expect_float(v, &a.func(), "timeout")?, &a.func()),
    }
}

/// A new TCP socket for `family`, non-blocking and close-on-exec.
fn new_fd(addr: &SocketAddr, what: &str) -> R<i32> {
    let family = if addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
    // SAFETY: plain socket(2).
    let fd = unsafe { libc::socket(family, libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(error_for(errno(), what, &show(addr)));
    }
    Ok(fd)
}

fn close_fd(fd: i32) {
    // SAFETY: a descriptor this process owns and forgets right after.
    unsafe { libc::close(fd) };
}

/// `listen(host, port, backlog=128)`: a server socket (SO_REUSEADDR); port 0
/// picks a free port, read back from `.port`.
fn listen(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(2, 3, &["host", "port", "backlog"])?;
    let host = value::expect_str(a.opt(0, "host").unwrap_or(&Value::Nil), "listen", "the host")?;
    let port = port_arg(a, 1)?;
    let backlog = match a.opt(2, "backlog") {
        Some(v) => value::expect_int(v, "listen", "backlog")?.clamp(1, 4096) as i32,
        None => 128,
    };
    super::process::start(interp);
    let addr = resolve(&host, port, "listen on")?[0];
    let shown = show(&addr);
    let fd = new_fd(&addr, "listen on")?;
    let one: libc::c_int = 1;
    let (st, len) = to_raw(&addr);
    // SAFETY: setsockopt with an int option; bind with a sockaddr of `len` bytes.
    let failed = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            &one as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        ) != 0
            || libc::bind(fd, &st as *const _ as *const libc::sockaddr, len) != 0
            || libc::listen(fd, backlog) != 0
    };
    if failed {
        let e = errno();
        close_fd(fd);
        return Err(error_for(e, "listen on", &shown));
    }
    let local = address_of(fd, false).unwrap_or(addr);
    Ok(wrap(Socket::new(fd, true, None, local)))
}

/// `connect(host, port, timeout=nil)`: a client socket connected to the
/// first address of `host` that accepts.
fn connect(interp: &mut dyn Host, a: &mut Args) -> R<Value> {
    a.check(2, 3, &["host", "port", "timeout"])?;
    let host = value::expect_str(a.opt(0, "host").unwrap_or(&Value::Nil), "connect", "the host")?;
    let port = port_arg(a, 1)?;
    let timeout = timeout_of(a, 2)?;
    super::process::start(interp);
    let deadline = wait::deadline_of(timeout);
    let mut last = None;
    for addr in resolve(&host, port, "connect to")? {
        match connect_one(interp, &addr, deadline, a.span) {
            Ok(s) => return Ok(wrap(s)),
            Err(e) if e.kind == ErrorKind::ConnectionRefusedError => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| ErrorObj::new(ErrorKind::OSError, format!("connect to {host}:{port}: no address"))))
}

fn connect_one(
    interp: &mut dyn Host,
    addr: &SocketAddr,
    deadline: Option<std::time::Instant>,
    span: Span,
) -> R<Socket> {
    let shown = show(addr);
    let fd = new_fd(addr, "connect to")?;
    // Closed on every error below.
    let guard = Socket::new(fd, false, Some(*addr), *addr);
    let (st, len) = to_raw(addr);
    // SAFETY: connect with a sockaddr of `len` bytes.
    let r = unsafe { libc::connect(fd, &st as *const _ as *const libc::sockaddr, len) };
    if r != 0 {
        let e = errno();
        if e != libc::EINPROGRESS && e != libc::EINTR {
            return Err(error_for(e, "connect to", &shown));
        }
        let _rec = wait::begin(interp, WaitKind::Connect, span, guard.id, deadline.is_some())?;
        if !wait::writable_by(interp, fd, deadline)? {
            return Err(ErrorObj::new(ErrorKind::TimeoutError, format!("connect to {shown}: timed out")));
        }
        let mut err: libc::c_int = 0;
        let mut n = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: SO_ERROR is an int.
        unsafe {
            libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_ERROR, &mut err as *mut _ as *mut libc::c_void, &mut n)
        };
        if err != 0 {
            return Err(error_for(err, "connect to", &shown));
        }
    }
    let local = address_of(fd, false).unwrap_or(*addr);
    let fd = guard.fd.replace(-1);
    Ok(Socket::new(fd, false, Some(*addr), local))
}

fn wrap(s: Socket) -> Value {
    Value::Handle(Handle::Socket(Rc::new(s)))
}

impl Socket {
    fn new(fd: i32, listening: bool, peer: Option<SocketAddr>, local: SocketAddr) -> Socket {
        let id = (std::process::id() as u64) << 32 | NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed) as u64;
        Socket { fd: Cell::new(fd), listening, peer, local, id, starved: Cell::new(false) }
    }

    /// A socket received from another process (its descriptor now ours).
    pub fn from_received(fd: i32) -> Value {
        let mut accepting: libc::c_int = 0;
        let mut n = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: SO_ACCEPTCONN is an int.
        unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_ACCEPTCONN,
                &mut accepting as *mut _ as *mut libc::c_void,
                &mut n,
            )
        };
        let unknown = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
        let local = address_of(fd, false).unwrap_or(unknown);
        let peer = if accepting != 0 { None } else { Some(address_of(fd, true).unwrap_or(unknown)) };
        wrap(Socket::new(fd, accepting != 0, peer, local))
    }

    /// Put a duplicate of this socket's descriptor in the depot, for a
    /// value on its way to another process.
    pub fn deposit(&self) -> R<u64> {
        super::fdpass::deposit(self.usable("send a socket")?)
    }

    fn close(&self) {
        let fd = self.fd.replace(-1);
        if fd >= 0 {
            close_fd(fd);
        }
    }

    /// The descriptor, or an `OSError` once closed.
    fn usable(&self, what: &str) -> R<i32> {
        match self.fd.get() {
            fd if fd >= 0 => Ok(fd),
            _ => Err(ErrorObj::new(ErrorKind::OSError, format!("cannot {what}: the socket {} is closed", self.name()))),
        }
    }

    fn name(&self) -> String {
        match &self.peer {
            Some(p) => show(p),
            None => show(&self.local),
        }
    }

    pub fn describe(&self) -> String {
        match (self.fd.get() < 0, &self.peer) {
            (true, _) => format!("<socket {} closed>", self.name()),
            (false, None) => format!("<socket listening on {}>", show(&self.local)),
            (false, Some(p)) => format!("<socket {} -> {}>", show(&self.local), show(p)),
        }
    }

    /// `s.accept(timeout=nil)`: the next connection's socket.
    fn accept(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, span: Span) -> R<Value> {
        let fd = self.usable("accept")?;
        if !self.listening {
            return Err(ErrorObj::new(
                ErrorKind::OSError,
                format!("accept() on {}: the socket is not listening (it came from connect or accept)", self.name()),
            ));
        }
        let deadline = wait::deadline_of(timeout);
        let mut rec = None;
        loop {
            // SAFETY: the kernel writes at most `len` bytes into `st`.
            let (conn, st) = unsafe {
                let mut st: libc::sockaddr_storage = std::mem::zeroed();
                let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
                let c = libc::accept4(
                    fd,
                    &mut st as *mut _ as *mut libc::sockaddr,
                    &mut len,
                    libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                );
                (c, st)
            };
            if conn >= 0 {
                let local = address_of(conn, false).unwrap_or(self.local);
                return Ok(wrap(Socket::new(conn, false, from_raw(&st), local)));
            }
            match errno() {
                // Another process took the connection first, or it went away.
                libc::EAGAIN | libc::ECONNABORTED => {
                    if rec.is_none() {
                        rec = Some(wait::begin(interp, WaitKind::Accept, span, self.id, timeout.is_some())?);
                    }
                    if !wait::readable(interp, fd, deadline)? {
                        return Err(ErrorObj::new(
                            ErrorKind::TimeoutError,
                            format!("accept() on {}: no connection within {}s", self.name(), timeout.unwrap_or(0.0)),
                        ));
                    }
                }
                libc::EINTR => super::safe_point(interp)?,
                e => return Err(error_for(e, "accept() on", &self.name())),
            }
        }
    }

    /// `s.recv(n, timeout=nil)`: at most `n` bytes, `b""` at end of stream.
    fn recv(&self, interp: &mut (impl Host + ?Sized), n: usize, timeout: Option<f64>, span: Span) -> R<Value> {
        let fd = self.usable("recv")?;
        let deadline = wait::deadline_of(timeout);
        let mut buf = vec![0u8; n];
        let mut rec = None;
        if self.starved.get() {
            rec = Some(wait::begin(interp, WaitKind::SocketRecv, span, self.id, timeout.is_some())?);
            if !wait::readable(interp, fd, deadline)? {
                return Err(ErrorObj::new(
                    ErrorKind::TimeoutError,
                    format!("recv() from {}: no data within {}s", self.name(), timeout.unwrap_or(0.0)),
                ));
            }
        }
        loop {
            // SAFETY: receiving into a buffer of `n` bytes.
            let got = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), n, libc::MSG_DONTWAIT) };
            if got >= 0 {
                self.starved.set(rec.is_some() && (got as usize) < n);
                buf.truncate(got as usize);
                return Ok(Value::Bytes(buf.into()));
            }
            match errno() {
                libc::EAGAIN => {
                    if rec.is_none() {
                        rec = Some(wait::begin(interp, WaitKind::SocketRecv, span, self.id, timeout.is_some())?);
                    }
                    if !wait::readable(interp, fd, deadline)? {
                        return Err(ErrorObj::new(
                            ErrorKind::TimeoutError,
                            format!("recv() from {}: no data within {}s", self.name(), timeout.unwrap_or(0.0)),
                        ));
                    }
                }
                libc::EINTR => super::safe_point(interp)?,
                e => return Err(error_for(e, "recv() from", &self.name())),
            }
        }
    }

    /// `s.send(data, timeout=nil)`: all of `data` (bytes, or a str as UTF-8).
    fn send(&self, interp: &mut (impl Host + ?Sized), data: &[u8], timeout: Option<f64>, span: Span) -> R<Value> {
        let fd = self.usable("send")?;
        let deadline = wait::deadline_of(timeout);
        let mut rest = data;
        let mut rec = None;
        while !rest.is_empty() {
            // SAFETY: sending from a valid slice.
            let n =
                unsafe { libc::send(fd, rest.as_ptr().cast(), rest.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) };
            if n >= 0 {
                rest = &rest[n as usize..];
                continue;
            }
            match errno() {
                libc::EAGAIN => {
                    if rec.is_none() {
                        rec = Some(wait::begin(interp, WaitKind::SocketSend, span, self.id, timeout.is_some())?);
                    }
                    if !wait::writable_by(interp, fd, deadline)? {
                        return Err(ErrorObj::new(
                            ErrorKind::TimeoutError,
                            format!("send() to {}: no room within {}s", self.name(), timeout.unwrap_or(0.0)),
                        ));
                    }
                }
                libc::EINTR => super::safe_point(interp)?,
                e => return Err(error_for(e, "send() to", &self.name())),
            }
        }
        Ok(Value::Int(data.len() as i64))
    }
}

pub const TABLE: Table = Table {
    methods: &[Member::Accept, Member::Recv, Member::Send, Member::Sendall, Member::Close, Member::Shutdown],
    fields: &[Member::Port, Member::Host, Member::Peer, Member::Closed],
};

/// `s.port` (this end's), `s.host`, `s.peer` (`[host, port]` of the other
/// end; nil for a server socket), `s.closed`.
pub fn field_get(h: &Handle, s: &Socket, m: &Member) -> R<Value> {
    let addr = |a: &SocketAddr| Value::list(vec![Value::str(&a.ip().to_string()), Value::Int(a.port() as i64)]);
    Ok(match m {
        Member::Port => Value::Int(s.local.port() as i64),
        Member::Host => Value::str(&s.local.ip().to_string()),
        Member::Peer => s.peer.as_ref().map_or(Value::Nil, addr),
        Member::Closed => Value::Bool(s.fd.get() < 0),
        _ => return Err(super::no_field(h, m)),
    })
}

/// `socket.name(args)`.
pub fn call_method(interp: &mut (impl Host + ?Sized), s: &Rc<Socket>, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Accept => {
            a.check(0, 1, &["timeout"])?;
            let timeout = timeout_of(a, 0)?;
            s.accept(interp, timeout, a.span)
        }
        Member::Recv => {
            a.check(1, 2, &["bufsize", "timeout"])?;
            let n = value::expect_int(a.opt(0, "bufsize").unwrap_or(&Value::Nil), "socket.recv", "the size")?;
            if !(0..=1 << 26).contains(&n) {
                return Err(ErrorObj::new(ErrorKind::ValueError, format!("recv(): size must be 0 to 2^26, not {n}")));
            }
            let timeout = timeout_of(a, 1)?;
            s.recv(interp, n as usize, timeout, a.span)
        }
        Member::Send | Member::Sendall => {
            a.check(1, 2, &["data", "timeout"])?;
            let timeout = timeout_of(a, 1)?;
            match a.opt(0, "data").unwrap_or(&Value::Nil) {
                Value::Bytes(b) => s.send(interp, &b.clone(), timeout, a.span),
                Value::Str(t) => s.send(interp, t.clone().as_bytes(), timeout, a.span),
                other => Err(value::wrong_type("socket.send", "the data", "bytes or a str", other)),
            }
        }
        Member::Close => {
            a.check(0, 0, &[])?;
            s.close();
            Ok(Value::Nil)
        }
        // Half-close: this side sends no more (the peer's recv sees b"").
        Member::Shutdown => {
            a.check(0, 0, &[])?;
            let fd = s.usable("shutdown")?;
            // SAFETY: plain shutdown(2) on our descriptor.
            if unsafe { libc::shutdown(fd, libc::SHUT_WR) } != 0 && errno() != libc::ENOTCONN {
                return Err(error_for(errno(), "shutdown() of", &s.name()));
            }
            Ok(Value::Nil)
        }
        _ => Err(super::no_method(&Handle::Socket(s.clone()), m)),
    }
}
