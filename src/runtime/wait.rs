//! The one way to block. Every blocking call of the runtime goes through
//! here: the wait is recorded in the process table (for `:ps`, deadlock
//! detection and tracing), timeouts are honoured, and a signal (Ctrl-C, a
//! user handler) interrupts the wait at a safe point.

use super::table::{self, State, WaitKind};
use super::trace;
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Host;
use crate::syntax::span::Span;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::time::{Duration, Instant};

use crate::diagnostics::R;

/// The longest single blocking sleep before a waiter looks again by itself:
/// pending signals are handled, a pool owner looks at its workers, and a
/// woken process killed before it could pass a wake on delays the others
/// by no more than this.
pub(crate) const SLICE: Duration = Duration::from_millis(50);

/// Marks this process as waiting in the table, and the wait as a trace
/// slice, until dropped.
pub struct Recorded {
    slot: u32,
}

impl Recorded {
    pub fn new(interp: &(impl Host + ?Sized), kind: WaitKind, span: Span, obj: u64, timed: bool) -> Recorded {
        table::set_waiting(interp.rt.slot, kind, span, obj, timed);
        trace::wait_begin(interp, kind, span, obj);
        Recorded { slot: interp.rt.slot }
    }

    pub fn sleeping(interp: &(impl Host + ?Sized)) -> Recorded {
        table::set_state(interp.rt.slot, State::Sleeping);
        trace::sleep_begin();
        Recorded { slot: interp.rt.slot }
    }
}

impl Drop for Recorded {
    fn drop(&mut self) {
        table::set_state(self.slot, State::Running);
        trace::wait_end();
    }
}

/// A wait is a safe point: a signal that arrived before it is handled now
/// (it would not interrupt the blocking call).
fn pending_first(interp: &mut (impl Host + ?Sized)) -> R<()> {
    if super::signals::ANY_PENDING.load(std::sync::atomic::Ordering::Relaxed) {
        super::safe_point(interp)?;
    }
    Ok(())
}

/// Start a recorded wait: handle signals that came first, then mark this
/// process as waiting on `obj` until the returned guard is dropped. Every
/// blocking primitive (lock, sem, event…) starts its slow path here.
pub fn begin(interp: &mut (impl Host + ?Sized), kind: WaitKind, span: Span, obj: u64, timed: bool) -> R<Recorded> {
    pending_first(interp)?;
    Ok(Recorded::new(interp, kind, span, obj, timed))
}

/// Timeouts from this many seconds on (about 31 years) mean "no limit".
pub const NO_LIMIT_SECS: f64 = 1e9;

/// The one reading of a script's timeout in seconds (`q.get(timeout=t)`,
/// `sleep(t)`, …): NaN or a negative number is a `ValueError` (as Python's
/// "must be a non-negative number"); one of `NO_LIMIT_SECS` or more means
/// no limit (`None`), so no clock arithmetic can overflow.
pub fn timeout_secs(secs: f64, func: &str) -> R<Option<f64>> {
    if secs.is_nan() || secs < 0.0 {
        let shown = crate::value::repr(&crate::value::Value::Float(secs));
        let shown = shown.strip_suffix(".0").unwrap_or(&shown);
        return Err(ErrorObj::new(
            ErrorKind::ValueError,
            format!("{func}(): timeout must be a non-negative number, not {shown}"),
        ));
    }
    Ok((secs < NO_LIMIT_SECS).then_some(secs))
}

/// When a wait of `timeout` seconds from now ends; `None`: never. Checked
/// arithmetic: a timeout that does not fit the clock is no limit.
pub fn deadline_of(timeout: Option<f64>) -> Option<Instant> {
    let t = timeout?;
    let d = Duration::try_from_secs_f64(t.max(0.0)).ok()?;
    Instant::now().checked_add(d)
}

/// Wait for child `pid` (-1: any child) to end, or until `timeout`.
/// `None` when the timeout passed first, or another thread reaped it.
pub fn pid(
    interp: &mut (impl Host + ?Sized),
    pid: i32,
    timeout: Option<f64>,
    kind: WaitKind,
    span: Span,
) -> R<Option<WaitStatus>> {
    if super::explore::knows(pid) {
        return super::explore::wait_pid(interp, pid, timeout, kind, span);
    }
    pending_first(interp)?;
    let _rec = Recorded::new(interp, kind, span, pid as u64, timeout.is_some());
    let target = if pid > 0 { Some(Pid::from_raw(pid)) } else { None };
    // A child blocks in waitpid; the main process polls pidfds in slices,
    // to look for deadlocks and for a signal that landed just before a
    // blocking waitpid (which would not interrupt it). A wait for any child
    // watches every child it finds at the start of the slice.
    let untimed_blocking = timeout.is_none() && interp.rt.is_child;
    if untimed_blocking {
        loop {
            match super::thread::unlocked(interp, || waitpid(target, None)) {
                Ok(st) if matches!(st, WaitStatus::Exited(..) | WaitStatus::Signaled(..)) => return Ok(Some(st)),
                Ok(_) => continue,
                Err(nix::errno::Errno::EINTR) => super::safe_point(interp)?,
                // Another thread of this process reaped it (and recorded it).
                Err(nix::errno::Errno::ECHILD) if pid > 0 => return Ok(None),
                Err(e) => {
                    return Err(ErrorObj::new(ErrorKind::ProcessError, format!("waiting for pid {pid} failed: {e}")))
                }
            }
        }
    }
    let deadline = deadline_of(timeout);
    let fd = if pid > 0 { pidfd_open(pid) } else { -1 };
    let result = loop {
        match waitpid(target, Some(WaitPidFlag::WNOHANG)) {
            Ok(st @ (WaitStatus::Exited(..) | WaitStatus::Signaled(..))) => break Ok(Some(st)),
            Ok(_) => {}
            Err(nix::errno::Errno::ECHILD) if pid > 0 => break Ok(None),
            Err(e) => break Err(ErrorObj::new(ErrorKind::ProcessError, format!("waiting for pid {pid} failed: {e}"))),
        }
        if let Err(e) = super::deadlock::tick(interp) {
            break Err(e);
        }
        let left = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => super::deadlock::LOOK_EVERY,
        };
        if left.is_zero() {
            break Ok(None);
        }
        let left = left.min(super::deadlock::LOOK_EVERY);
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
        let children: Vec<i32> = match pid > 0 {
            true => Vec::new(),
            false => super::process::own_children().into_iter().map(pidfd_open).filter(|&fd| fd >= 0).collect(),
        };
        if !children.is_empty() {
            let mut fds: Vec<libc::pollfd> =
                children.iter().map(|&fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 }).collect();
            // SAFETY: valid pollfds, as many as the length says.
            let r = super::thread::unlocked(interp, || unsafe {
                libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms)
            });
            let interrupted = r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR);
            for &fd in &children {
                // SAFETY: our own fds, opened for this slice.
                unsafe { libc::close(fd) };
            }
            if interrupted {
                if let Err(e) = super::safe_point(interp) {
                    break Err(e);
                }
            }
        } else if fd >= 0 {
            let r = poll_one(interp, fd, libc::POLLIN, ms);
            if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                if let Err(e) = super::safe_point(interp) {
                    break Err(e);
                }
            }
        } else {
            // No pidfd (old kernel): poll the child every millisecond.
            super::thread::unlocked(interp, || std::thread::sleep(Duration::from_millis(1).min(left)));
            if let Err(e) = super::safe_point(interp) {
                break Err(e);
            }
        }
    };
    if fd >= 0 {
        // SAFETY: our own fd.
        unsafe { libc::close(fd) };
    }
    result
}

/// A pidfd for `pid` (readable when it ends), or -1.
fn pidfd_open(pid: i32) -> i32 {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) as i32 }
}

/// Block until `fd` is readable (data, end of file or an error to read) or
/// `deadline` passes; `false` when it passed. The main process waits in
/// slices, looking for deadlocks; a signal is handled at a safe point.
pub fn readable(interp: &mut (impl Host + ?Sized), fd: i32, deadline: Option<Instant>) -> R<bool> {
    ready(interp, fd, libc::POLLIN, deadline)
}

/// Block until `fd` has room to write (or is broken), as `readable` does.
pub fn writable(interp: &mut (impl Host + ?Sized), fd: i32) -> R<bool> {
    ready(interp, fd, libc::POLLOUT, None)
}

/// `writable` until `deadline`; `false` when it passed first.
pub fn writable_by(interp: &mut (impl Host + ?Sized), fd: i32, deadline: Option<Instant>) -> R<bool> {
    ready(interp, fd, libc::POLLOUT, deadline)
}

/// `poll` on one fd for `ms` milliseconds (-1: no limit), with the GIL free.
fn poll_one(interp: &mut (impl Host + ?Sized), fd: i32, events: libc::c_short, ms: i32) -> i32 {
    super::thread::unlocked(interp, || {
        let mut pfd = libc::pollfd { fd, events, revents: 0 };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, ms) }
    })
}

/// Whether `fd` is readable right now (no wait).
pub fn readable_now(fd: i32) -> bool {
    let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd; a zero timeout never blocks.
    unsafe { libc::poll(&mut pfd, 1, 0) > 0 }
}

fn ready(interp: &mut (impl Host + ?Sized), fd: i32, events: libc::c_short, deadline: Option<Instant>) -> R<bool> {
    if super::explore::on() {
        return super::explore::fd_ready(interp, fd, events, deadline);
    }
    loop {
        let slice = (!interp.rt.is_child).then_some(super::deadlock::LOOK_EVERY);
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let ms = match (left, slice) {
            (Some(l), Some(s)) => Some(l.min(s)),
            (l, s) => l.or(s),
        }
        .map_or(-1, |w| w.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32);
        let r = poll_one(interp, fd, events, ms);
        if r > 0 {
            return Ok(true);
        }
        if r < 0 {
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => super::safe_point(interp)?,
                _ => {
                    let e = std::io::Error::last_os_error();
                    return Err(ErrorObj::new(ErrorKind::IOError, format!("poll() failed: {e}")));
                }
            }
            continue;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(false);
        }
        super::deadlock::tick(interp)?;
    }
}

/// `sleep(secs)`: interruptible by signals, recorded as sleeping; a
/// `NO_LIMIT_SECS` sleep or more lasts until a signal ends it.
pub fn sleep(interp: &mut (impl Host + ?Sized), secs: f64) -> R<()> {
    // Even `sleep(0)` lets the other threads run.
    super::thread::yield_now(interp);
    let _rec = Recorded::sleeping(interp);
    if super::explore::on() {
        return super::explore::sleep(interp, secs);
    }
    let deadline = deadline_of(Some(secs));
    loop {
        // A signal landing between this check and `nanosleep` does not
        // interrupt it: sleeping in slices bounds how late it is handled.
        pending_first(interp)?;
        let left = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => SLICE,
        };
        if left.is_zero() {
            return Ok(());
        }
        let left = left.min(SLICE);
        let ts =
            libc::timespec { tv_sec: left.as_secs() as libc::time_t, tv_nsec: left.subsec_nanos() as libc::c_long };
        // SAFETY: valid timespec; a null remainder is allowed.
        let r = super::thread::unlocked(interp, || unsafe { libc::nanosleep(&ts, std::ptr::null_mut()) });
        if r != 0 {
            super::safe_point(interp)?;
        }
    }
}
