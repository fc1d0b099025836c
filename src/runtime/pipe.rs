//! `pipe`: two connected ends over an OS object — a `socketpair` for a duplex
//! pipe (`pipe a, b`), a `pipe(2)` for a one-way one (`pipe w -> r`) — both
//! opened with `O_CLOEXEC`. Each message is one frame:
//! ```text
//! len   u32 little-endian   length of the payload
//! data  [u8; len]           the value, wire-encoded (`value::wire`)
//! ```
//! EOF comes from the OS: once every write end is closed in every process
//! and the data is drained, `read` returns 0 and `recv` raises `EOFError`.
//! That is why unused ends must be closed (a forked child inherits them all).
//!
//! A message is one unit even when processes share an end (under a lock):
//! `recv` reads exactly one frame — its header, then its payload — never a
//! byte of the next one, and `send` writes without blocking in the kernel,
//! waiting for room as a recorded wait (deadlock detection sees it).
//!
//! An end is a file descriptor of *this* process. Its identity (creator pid,
//! serial, device and inode of the OS object, direction) travels with it
//! through queues; a process that receives an end checks with `fstat` that
//! its own fd of that number is the same OS object, and otherwise the end is
//! unusable there (it was created after this process was forked): using it
//! is a clear error. The bytes of a frame a `recv` was interrupted in the
//! middle of (by a signal) belong to the process that read them; a forked
//! child starts with none of them.

use super::table::WaitKind;
use super::wait;
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::{no_method, timeout_arg, Handle, Host, Table};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{self, Args, Value};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crate::diagnostics::R;

/// Who an end is, in every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PipeId {
    pub creator: i32,
    pub serial: u32,
    pub fd: i32,
    pub dev: u64,
    pub ino: u64,
    pub readable: bool,
    pub writable: bool,
}

#[derive(Debug)]
struct EndState {
    id: PipeId,
    closed: Cell<bool>,
    /// Why this end cannot be used in this process, if it cannot.
    unusable: Option<String>,
    /// The part of a frame read so far (a `recv` a signal interrupted; never
    /// more than one frame), and the pid that read it.
    buf: RefCell<Vec<u8>>,
    buf_pid: Cell<i32>,
}

/// A pipe end value; clones share the same state (one fd per process).
#[derive(Clone, Debug)]
pub struct PipeEnd(Rc<EndState>);

impl PartialEq for PipeEnd {
    fn eq(&self, other: &PipeEnd) -> bool {
        let (a, b) = (&self.0.id, &other.0.id);
        (a.creator, a.serial, a.readable, a.writable) == (b.creator, b.serial, b.readable, b.writable)
    }
}

thread_local! {
    /// This process's ends by identity, so a received end is the same object.
    static ENDS: RefCell<Vec<Weak<EndState>>> = const { RefCell::new(Vec::new()) };
    static SERIAL: Cell<u32> = const { Cell::new(0) };
}

fn os_error(what: &str) -> Box<ErrorObj> {
    ErrorObj::new(ErrorKind::IOError, format!("{what}: {}", std::io::Error::last_os_error()))
}

fn stat_of(fd: i32) -> Option<(u64, u64)> {
    // SAFETY: fstat fills a zeroed stat; an invalid fd just fails.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a live, writable stat; a bad fd only makes fstat fail.
    (unsafe { libc::fstat(fd, &mut st) } == 0).then_some((st.st_dev, st.st_ino))
}

fn register(id: PipeId, unusable: Option<String>) -> PipeEnd {
    let end = PipeEnd(Rc::new(EndState {
        id,
        closed: Cell::new(false),
        unusable,
        buf: RefCell::new(Vec::new()),
        buf_pid: Cell::new(0),
    }));
    ENDS.with(|e| {
        let mut e = e.borrow_mut();
        e.retain(|w| w.strong_count() > 0);
        e.push(Rc::downgrade(&end.0));
    });
    end
}

fn make_end(fd: i32, readable: bool, writable: bool) -> PipeEnd {
    let (dev, ino) = stat_of(fd).unwrap_or((0, 0));
    let serial = SERIAL.with(|s| {
        s.set(s.get() + 1);
        s.get()
    });
    let id = PipeId { creator: std::process::id() as i32, serial, fd, dev, ino, readable, writable };
    register(id, None)
}

/// `pipe(duplex)`: the two ends, `[a, b]` (one-way: `[write end, read end]`).
pub fn new_pair(duplex: bool) -> R<(PipeEnd, PipeEnd)> {
    let mut fds = [0i32; 2];
    if duplex {
        // SAFETY: a valid out-array of two fds.
        let r = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) };
        if r != 0 {
            return Err(os_error("pipe(): socketpair failed"));
        }
        Ok((make_end(fds[0], true, true), make_end(fds[1], true, true)))
    } else {
        // SAFETY: a valid out-array of two fds.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(os_error("pipe(): pipe2 failed"));
        }
        // Only `send` writes to it, and waits for room itself.
        // SAFETY: fcntl on the fd just made.
        unsafe { libc::fcntl(fds[1], libc::F_SETFL, libc::O_NONBLOCK) };
        Ok((make_end(fds[1], false, true), make_end(fds[0], true, false)))
    }
}

impl PipeEnd {
    pub fn id(&self) -> PipeId {
        self.0.id
    }

    /// The end with this identity in this process: the same object if this
    /// process already has it, else a new value checked against the fd.
    pub fn from_id(id: PipeId) -> PipeEnd {
        let found = ENDS.with(|e| {
            e.borrow().iter().filter_map(Weak::upgrade).find(|s| {
                let i = &s.id;
                (i.creator, i.serial, i.readable, i.writable) == (id.creator, id.serial, id.readable, id.writable)
            })
        });
        if let Some(state) = found {
            return PipeEnd(state);
        }
        let same = stat_of(id.fd) == Some((id.dev, id.ino)) && {
            // SAFETY: F_GETFL on an fd that exists.
            let mode = unsafe { libc::fcntl(id.fd, libc::F_GETFL) } & libc::O_ACCMODE;
            match (id.readable, id.writable) {
                (true, true) => mode == libc::O_RDWR,
                (true, false) => mode == libc::O_RDONLY,
                _ => mode == libc::O_WRONLY,
            }
        };
        let unusable = (!same).then(|| {
            format!(
                "this pipe end (made by pid {}) does not exist in this process: it was created after this process \
                 started, or closed here",
                id.creator
            )
        });
        register(id, unusable)
    }

    fn usable(&self, want_read: bool) -> R<i32> {
        let s = &self.0;
        if let Some(why) = &s.unusable {
            return Err(ErrorObj::new(ErrorKind::IOError, why.clone())
                .with_help("create the pipe before spawning the processes that use it, or send data through a queue"));
        }
        if s.closed.get() {
            return Err(ErrorObj::new(ErrorKind::IOError, "this pipe end is closed"));
        }
        match (want_read, s.id.readable, s.id.writable) {
            (true, false, _) => {
                Err(ErrorObj::new(ErrorKind::IOError, "this is the write end of a one-way pipe: it cannot recv"))
            }
            (false, _, false) => {
                Err(ErrorObj::new(ErrorKind::IOError, "this is the read end of a one-way pipe: it cannot send"))
            }
            _ => Ok(s.id.fd),
        }
    }

    /// `send(v)`: one frame, written whole. The fd never blocks in the
    /// kernel: when the OS buffer is full the process waits for room as a
    /// recorded wait (a writer nobody reads from is part of a deadlock).
    pub fn send(&self, interp: &mut (impl Host + ?Sized), payload: &[u8], span: Span) -> R<()> {
        let fd = self.usable(false)?;
        let len = u32::try_from(payload.len())
            .map_err(|_| ErrorObj::new(ErrorKind::ValueError, "value too large for a pipe"))?;
        let mut frame = Vec::with_capacity(4 + payload.len());
        frame.extend_from_slice(&len.to_le_bytes());
        frame.extend_from_slice(payload);
        // Traced before the receiver can see the message.
        super::trace::op(interp, "pipe send", span);
        let socket = self.0.id.readable;
        let mut rest: &[u8] = &frame;
        let mut rec = None;
        while !rest.is_empty() {
            // SAFETY: writing from a valid slice. A duplex end is a socket
            // (`MSG_DONTWAIT`); a one-way write end is O_NONBLOCK.
            let n = unsafe {
                match socket {
                    true => libc::send(fd, rest.as_ptr().cast(), rest.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL),
                    false => libc::write(fd, rest.as_ptr().cast(), rest.len()),
                }
            };
            if n >= 0 {
                rest = &rest[n as usize..];
                continue;
            }
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EAGAIN) => {
                    if rec.is_none() {
                        rec = Some(wait::begin(interp, WaitKind::PipeSend, span, self.obj(), false)?);
                    }
                    wait::writable(interp, fd)?;
                }
                Some(libc::EINTR) => super::safe_point(interp)?,
                Some(libc::EPIPE) => {
                    return Err(ErrorObj::new(
                        ErrorKind::BrokenPipeError,
                        "send() on a pipe whose every read end is closed",
                    ))
                }
                _ => return Err(os_error("send() failed")),
            }
        }
        Ok(())
    }

    fn obj(&self) -> u64 {
        (self.0.id.creator as u64) << 32 | self.0.id.serial as u64
    }

    /// This process's partly read frame (a forked child starts with none).
    fn buffer(&self, interp: &(impl Host + ?Sized)) -> std::cell::RefMut<'_, Vec<u8>> {
        let mut buf = self.0.buf.borrow_mut();
        if self.0.buf_pid.get() != interp.process.pid {
            buf.clear();
            self.0.buf_pid.set(interp.process.pid);
        }
        buf
    }

    /// The length of the frame in the buffer, if it is whole.
    fn whole_frame(buf: &[u8]) -> Option<usize> {
        let len = u32::from_le_bytes(buf.get(..4)?.try_into().ok()?) as usize;
        (buf.len() >= 4 + len).then_some(len)
    }

    /// `recv()`: the next message's bytes; `EOFError` once every write end
    /// is closed everywhere and the data is drained.
    pub fn recv(&self, interp: &mut (impl Host + ?Sized), span: Span) -> R<Vec<u8>> {
        let fd = self.usable(true)?;
        let _rec = wait::begin(interp, WaitKind::PipeRecv, span, self.obj(), false)?;
        loop {
            let frame = {
                let mut buf = self.buffer(interp);
                Self::whole_frame(&buf).map(|len| {
                    let payload = buf[4..4 + len].to_vec();
                    buf.drain(..4 + len);
                    payload
                })
            };
            if let Some(payload) = frame {
                super::trace::op(interp, "pipe recv", span);
                return Ok(payload);
            }
            if !interp.rt.is_child || super::explore::on() || super::thread::active() {
                // The main process must not block in read: it looks for
                // deadlocks; nor must a thread: the others run meanwhile.
                wait::readable(interp, fd, None)?;
                if super::thread::active() && !wait::readable_now(fd) {
                    continue; // another thread of this process took it
                }
            }
            {
                let mut buf = self.buffer(interp);
                // Read exactly the rest of this frame's header, then of its
                // payload: never a byte of the next message, which belongs to
                // whichever process (sharing this end) receives next.
                let want = match buf.get(..4) {
                    Some(h) => u32::from_le_bytes(h.try_into().unwrap_or_default()) as usize + 4 - buf.len(),
                    None => 4 - buf.len(),
                };
                let start = buf.len();
                buf.resize(start + want, 0);
                // SAFETY: reading into the spare tail of our buffer.
                let n = unsafe { libc::read(fd, buf[start..].as_mut_ptr().cast(), want) };
                buf.truncate(start + n.max(0) as usize);
                if n > 0 {
                    continue;
                }
                if n == 0 {
                    let msg = if buf.is_empty() {
                        "recv() on a pipe whose every write end is closed (no more data)"
                    } else {
                        "the pipe was closed in the middle of a message"
                    };
                    return Err(ErrorObj::new(ErrorKind::EOFError, msg)
                        .with_help("every process must close the write ends it does not use, or recv waits forever"));
                }
            }
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => super::safe_point(interp)?,
                _ => return Err(os_error("recv() failed")),
            }
        }
    }

    /// `poll(timeout)`: whether `recv` would return at once (data or EOF).
    pub fn poll(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, span: Span) -> R<bool> {
        let fd = self.usable(true)?;
        if Self::whole_frame(&self.buffer(interp)).is_some() {
            return Ok(true);
        }
        let deadline = wait::deadline_of(timeout);
        let _rec = match timeout {
            Some(t) if t <= 0.0 => None,
            _ => Some(wait::begin(interp, WaitKind::PipeRecv, span, self.obj(), timeout.is_some())?),
        };
        wait::readable(interp, fd, deadline)
    }

    /// `close()`: close this process's fd of this end (others keep theirs).
    pub fn close(&self) {
        let s = &self.0;
        if s.unusable.is_none() && !s.closed.replace(true) {
            // SAFETY: our own fd, closed once.
            unsafe { libc::close(s.id.fd) };
        }
    }

    pub fn is_closed(&self) -> bool {
        self.0.closed.get()
    }

    pub fn describe(&self) -> String {
        let i = &self.0.id;
        let dir = match (i.readable, i.writable) {
            (true, true) => "duplex",
            (true, false) => "read",
            _ => "write",
        };
        let state = if self.0.closed.get() { " closed" } else { "" };
        format!("<pipe end {dir} #{}.{}{state}>", i.creator, i.serial)
    }
}

/// A pipe end's methods (see `runtime::Table`).
pub const TABLE: Table =
    Table { methods: &[Member::Send, Member::Recv, Member::Poll, Member::Close, Member::Closed], fields: &[] };

pub fn call_method(interp: &mut (impl Host + ?Sized), p: &PipeEnd, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Send => {
            a.check(1, 1, &[])?;
            value::wire::with_buffer(|bytes| {
                value::wire::encode_into(interp.codec(), a.get(0), bytes)?;
                p.send(interp, bytes, a.span)
            })
            .map(|_| Value::Nil)
        }
        Member::Recv => {
            a.check(0, 0, &[])?;
            let bytes = p.recv(interp, a.span)?;
            value::wire::decode(interp.codec_mut(), &bytes)
        }
        Member::Poll => {
            a.check(0, 1, &["timeout"])?;
            // Python: poll() with no timeout does not wait.
            let timeout = timeout_arg(a, 0)?.or(if a.opt(0, "timeout").is_some() { None } else { Some(0.0) });
            Ok(Value::Bool(p.poll(interp, timeout, a.span)?))
        }
        Member::Close => {
            a.check(0, 0, &[])?;
            p.close();
            Ok(Value::Nil)
        }
        Member::Closed => {
            a.check(0, 0, &[])?;
            Ok(Value::Bool(p.is_closed()))
        }
        _ => Err(no_method(&Handle::Pipe(p.clone()), m)),
    }
}
