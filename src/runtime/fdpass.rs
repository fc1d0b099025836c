//! Passing a descriptor to whichever process receives a value: a socket put
//! on a queue, sent through a pipe or given to a pool task travels as the
//! descriptor itself (`SCM_RIGHTS`), not as a number.
//!
//! Queues and pools are rings in shared memory, so the receiver of an item
//! is not known when it is put. The descriptors go through a **depot**: one
//! `SOCK_SEQPACKET` socket pair made by the main process before its first
//! fork, so every process of the program holds both ends.
//!
//! - `deposit(fd)`: send a message `[token: u64]` carrying a duplicate of `fd`
//!   into end A; the value on the wire holds just the token (the sender's
//!   pid and a counter, unique in the program). The deposit is made while
//!   encoding, so it is in the depot before the item can be taken.
//! - `claim(token)`: under the depot's robust mutex (in the arena), peek at
//!   the head of end B. Ours: take it. Someone else's: most often its own
//!   claimer is about to take it (pool workers claim in turn), so wait
//!   while the head keeps changing; a head that stays for 20 ms is moved
//!   aside: take messages until ours, putting every other one back at the
//!   tail with its descriptor (this process's copy closed). Having gone
//!   round once without finding it, the socket was lost (a process died
//!   holding it mid-claim): a clear `OSError`.
//!
//! A deposit nobody claims (an item never taken, or a put that failed after
//! encoding) is closed when the program ends. How many descriptors can be
//! in transit at once is set by the pair's send buffer (up to
//! `net.core.wmem_max`: ~10,000 with 4 MiB, a few hundred with the default):
//! past that, a deposit waits up to a second, then is an `OSError`.

use super::shm::{self, MutexGuard};
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering::Relaxed};

/// End A (deposits go in), end B (claims come out); -1 before `init`.
static SEND_END: AtomicI32 = AtomicI32::new(-1);
static RECV_END: AtomicI32 = AtomicI32::new(-1);
/// Arena offset of the depot's mutex (0: none).
static MUTEX: AtomicU32 = AtomicU32::new(0);
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Make the depot: once, in the main process, after the arena and before the
/// first fork.
pub fn init() {
    if SEND_END.load(Relaxed) >= 0 {
        return;
    }
    let mut fds = [-1; 2];
    // SAFETY: socketpair writes two descriptors into `fds`.
    let r = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) };
    if r != 0 {
        return; // sockets then cannot cross processes; `deposit` says so.
    }
    // Room for more descriptors in transit (the kernel caps it at wmem_max).
    let size: libc::c_int = 4 << 20;
    // SAFETY: setsockopt with an int option on our own socket.
    unsafe {
        libc::setsockopt(
            fds[0],
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            &size as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    let Ok(off) = shm::alloc(std::mem::size_of::<libc::pthread_mutex_t>()) else {
        // SAFETY: our own two descriptors.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
        return;
    };
    // SAFETY: a fresh arena block of a mutex's size, used by no one yet.
    unsafe { shm::init_mutex(shm::at(off)) };
    MUTEX.store(off.0, Relaxed);
    SEND_END.store(fds[0], Relaxed);
    RECV_END.store(fds[1], Relaxed);
}

fn os_error(what: &str) -> Box<ErrorObj> {
    let e = std::io::Error::last_os_error();
    ErrorObj::new(ErrorKind::OSError, format!("{what}: {e}"))
}

/// Send `fd` (a duplicate; the caller keeps its own) with `token`.
fn send(end: i32, token: u64, fd: i32, dontwait: bool) -> std::io::Result<()> {
    let data = token.to_le_bytes();
    let mut iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
    // SAFETY: CMSG_SPACE is a pure size computation.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<i32>() as u32) } as usize;
    let mut control = vec![0u8; space];
    // SAFETY: a zeroed msghdr pointing at our live iovec and control buffer;
    // the one cmsg header fits in `control` (CMSG_SPACE of one int).
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<i32>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg) as *mut i32, fd);
        let flags = libc::MSG_NOSIGNAL | if dontwait { libc::MSG_DONTWAIT } else { 0 };
        if libc::sendmsg(end, &msg, flags) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Take the next message: its token and descriptor (`None` when empty).
fn recv(end: i32) -> std::io::Result<Option<(u64, i32)>> {
    let mut data = [0u8; 8];
    let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() };
    // SAFETY: a size computation.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<i32>() as u32) } as usize;
    let mut control = vec![0u8; space];
    // SAFETY: a zeroed msghdr pointing at live buffers; the kernel fills at
    // most `space` bytes of control data, read back through the CMSG macros.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        let n = libc::recvmsg(end, &mut msg, libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC);
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return if e.raw_os_error() == Some(libc::EAGAIN) { Ok(None) } else { Err(e) };
        }
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        let mut fd = -1;
        if !cmsg.is_null() && (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
            fd = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg) as *const i32);
        }
        Ok(Some((u64::from_le_bytes(data), fd)))
    }
}

/// Put a duplicate of `fd` in the depot; the token names it on the wire.
pub fn deposit(fd: i32) -> R<u64> {
    let end = SEND_END.load(Relaxed);
    if end < 0 {
        return Err(ErrorObj::new(ErrorKind::OSError, "cannot pass a socket to another process: no descriptor depot"));
    }
    let token = (std::process::id() as u64) << 32 | (COUNTER.fetch_add(1, Relaxed) & 0xffff_ffff);
    // A full depot: give claimers up to a second to make room.
    for _ in 0..1000 {
        match send(end, token, fd, true) {
            Ok(()) => return Ok(token),
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => std::thread::sleep(std::time::Duration::from_millis(1)),
            Err(_) => return Err(os_error("cannot pass a socket to another process")),
        }
    }
    Err(ErrorObj::new(ErrorKind::OSError, "cannot pass a socket to another process: too many sockets in transit")
        .with_help("receive the sockets already sent before sending more"))
}

/// The token of the message at the head of the depot, left there.
fn peek(end: i32) -> Option<u64> {
    let mut data = [0u8; 8];
    // SAFETY: peeking into an 8-byte buffer; with no room for control data
    // the kernel installs none of the message's descriptors.
    let n = unsafe { libc::recv(end, data.as_mut_ptr().cast(), data.len(), libc::MSG_PEEK | libc::MSG_DONTWAIT) };
    (n == 8).then(|| u64::from_le_bytes(data))
}

/// How long a claimer waits for the owner of the depot's head to take it
/// (the usual case: two pool workers claiming in turn) before moving the
/// head aside itself.
const HEAD_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// This process's own descriptor for the socket deposited as `token`.
pub fn claim(token: u64) -> R<i32> {
    let (send_end, recv_end, off) = (SEND_END.load(Relaxed), RECV_END.load(Relaxed), MUTEX.load(Relaxed));
    if recv_end < 0 || off == 0 {
        return Err(ErrorObj::new(ErrorKind::OSError, "cannot receive a socket: no descriptor depot"));
    }
    let lost = || ErrorObj::new(ErrorKind::OSError, "a socket sent to this process was lost on its way");
    // SAFETY: `init` made this mutex in the arena before any fork.
    let lock = || unsafe { MutexGuard::lock(shm::at(shm::Offset(off))) };
    // The head is most often ours, or about to be taken by its own claimer:
    // wait for that while the head keeps changing or for `HEAD_WAIT`.
    let mut head = None;
    let mut since = std::time::Instant::now();
    let _guard = loop {
        let guard = lock();
        match peek(recv_end) {
            None => return Err(lost()),
            Some(t) if t == token => break guard,
            Some(t) => {
                if head != Some(t) {
                    head = Some(t);
                    since = std::time::Instant::now();
                } else if since.elapsed() >= HEAD_WAIT {
                    break guard;
                }
            }
        }
        drop(guard);
        std::thread::sleep(std::time::Duration::from_micros(100));
    };
    // Take messages until ours; every other one goes back to the tail.
    let mut first_put_back = None;
    loop {
        let Some((t, fd)) = recv(recv_end).map_err(|_| os_error("cannot receive a socket"))? else {
            return Err(lost());
        };
        if t == token {
            return if fd >= 0 { Ok(fd) } else { Err(lost()) };
        }
        if fd >= 0 {
            // Someone else's: back to the tail, and our copy closed.
            let sent = send(send_end, t, fd, false);
            // SAFETY: the descriptor the kernel just gave us.
            unsafe { libc::close(fd) };
            sent.map_err(|_| os_error("cannot pass a socket on"))?;
        }
        if first_put_back == Some(t) {
            return Err(lost());
        }
        first_put_back.get_or_insert(t);
    }
}
