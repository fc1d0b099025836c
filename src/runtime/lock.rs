//! `lock`: a mutex any process of the program can take, with an owner.
//!
//! Layout of a lock in the shared arena (`LockCell`):
//! ```text
//! mutex   pthread_mutex_t   robust, PTHREAD_PROCESS_SHARED
//! owner   i32               pid of the holder, 0 when free
//! taken   src, start, end   span where the holder took it
//! ```
//! Only the holder writes `owner` and `taken`. The robust mutex is what makes
//! a dead holder visible: the next locker gets `EOWNERDEAD`, which becomes
//! `LockAbandoned` naming the dead process, once; the lock is then free again.
//! Waiting uses `pthread_mutex_timedlock` in slices so that Ctrl-C and user
//! signal handlers are seen within `SLICE` (glibc restarts the wait on EINTR).

use super::shm::{self, Offset};
use super::table::{self, WaitKind};
use super::trace::{self, Hold};
use super::wait;
use crate::diagnostics::{ErrorKind, ErrorObj, Place, PLACE};
use crate::runtime::{acquire_args, no_method, Handle, Host, Table};
use crate::syntax::member::Member;
use crate::syntax::span::{SourceId, Span};
use crate::value::{Args, Value};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering::*};
use std::time::{Duration, Instant};

use crate::diagnostics::R;

use super::wait::SLICE;

/// How many more times a blocking acquire tries the lock before sleeping.
const SPINS: u32 = 200;

#[repr(C)]
pub struct LockCell {
    mutex: libc::pthread_mutex_t,
    owner: AtomicI32,
    src: AtomicU32,
    start: AtomicU32,
    end: AtomicU32,
}

/// A handle to a lock in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lock(pub(crate) Offset);

impl Lock {
    pub fn new() -> R<Lock> {
        // SAFETY: a fresh zeroed block of a lock's size.
        Ok(unsafe { Lock::init_in(shm::alloc(std::mem::size_of::<LockCell>())?) })
    }

    /// A lock in a fresh block that starts with a `LockCell` (an rlock's
    /// block is a lock followed by its count).
    ///
    /// # Safety
    /// `off` must be a fresh zeroed block of at least a `LockCell`'s size
    /// that no other process knows yet.
    pub(crate) unsafe fn init_in(off: Offset) -> Lock {
        let lock = Lock(off);
        shm::init_mutex(lock.mutex());
        lock
    }

    fn cell(&self) -> &LockCell {
        // SAFETY: the offset came from `Lock::new`; only atomic fields are
        // read through this reference (the mutex goes through `mutex()`).
        unsafe { &*shm::at::<LockCell>(self.0) }
    }

    fn mutex(&self) -> *mut libc::pthread_mutex_t {
        // SAFETY: a field of a live LockCell; no reference is formed.
        unsafe { std::ptr::addr_of_mut!((*shm::at::<LockCell>(self.0)).mutex) }
    }

    pub fn id(&self) -> u64 {
        self.0 .0 as u64
    }

    /// The pid of the holder, if any.
    pub fn owner(&self) -> Option<i32> {
        Some(self.cell().owner.load(Acquire)).filter(|&p| p != 0)
    }

    /// Take the lock. `Ok(false)` when `timeout` passed (or `block` is false
    /// and it is taken). Errors: self-deadlock (a blocking acquire by the holder), `LockAbandoned`, Ctrl-C.
    pub fn acquire(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, block: bool, span: Span) -> R<bool> {
        // The wait (if any) has ended before the hold is recorded.
        let got = self.take(interp, timeout, block, span)?;
        if got {
            self.taken(interp, span);
        }
        Ok(got)
    }

    fn take(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, block: bool, span: Span) -> R<bool> {
        // The owner is a thread: the pid for a process's main thread.
        let me = interp.thread.tid;
        if self.owner() == Some(me) {
            // Would wait forever; with a timeout it just fails (as in Python).
            return match (block, timeout) {
                (false, _) => Ok(false),
                (true, Some(t)) => wait::sleep(interp, t).map(|_| false),
                (true, None) => Err(self.self_deadlock(holder_word(interp), span)),
            };
        }
        // The holder is most likely running on the other CPU and about to
        // release: look again for a few microseconds before sleeping in the
        // kernel, which costs two system calls and a wake-up of ~35 µs here.
        // (A held robust mutex's trylock only reads it: spinning is cheap.)
        let tries = if block { SPINS } else { 0 };
        for i in 0..=tries {
            if i > 0 {
                std::hint::spin_loop();
            }
            // SAFETY: a mutex initialised by `Lock::new`.
            match unsafe { libc::pthread_mutex_trylock(self.mutex()) } {
                0 => return Ok(true),
                libc::EOWNERDEAD => return Err(self.abandoned()),
                _ => {}
            }
        }
        if !block {
            return Ok(false);
        }
        let deadline = wait::deadline_of(timeout);
        let _rec = wait::begin(interp, WaitKind::Lock, span, self.id(), timeout.is_some())?;
        if super::explore::on() {
            return Ok(super::explore::wait_for(interp, deadline, |_| self.try_lock())?.is_some());
        }
        loop {
            let now = Instant::now();
            let slice_end = deadline.map_or(now + SLICE, |d| d.min(now + SLICE));
            let abs = realtime_after(slice_end.saturating_duration_since(now));
            let mutex = MutexPtr(self.mutex());
            // SAFETY: a valid mutex and timespec.
            match super::thread::unlocked(interp, move || unsafe { libc::pthread_mutex_timedlock(mutex.get(), &abs) }) {
                0 => return Ok(true),
                libc::EOWNERDEAD => {
                    let abandoned = self.abandoned();
                    // Ctrl-C kills the holder too: the interrupt is the news.
                    if super::signals::ANY_PENDING.load(Relaxed) {
                        super::safe_point(interp)?;
                    }
                    return Err(abandoned);
                }
                libc::ETIMEDOUT => super::deadlock::tick(interp)?,
                e => {
                    let msg = std::io::Error::from_raw_os_error(e);
                    return Err(ErrorObj::new(ErrorKind::ProcessError, format!("lock wait failed: {msg}")));
                }
            }
            if super::signals::ANY_PENDING.load(Relaxed) {
                super::safe_point(interp)?;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
        }
    }

    /// One try: `Some` when taken.
    fn try_lock(&self) -> R<Option<()>> {
        // SAFETY: a mutex initialised by `Lock::new`.
        match unsafe { libc::pthread_mutex_trylock(self.mutex()) } {
            0 => Ok(Some(())),
            libc::EOWNERDEAD => Err(self.abandoned()),
            _ => Ok(None),
        }
    }

    /// Now held: record where (for reports), in the table (for `:ps`) and
    /// in the trace.
    fn taken(&self, interp: &(impl Host + ?Sized), span: Span) {
        let c = self.cell();
        c.src.store(span.src.0, Relaxed);
        c.start.store(span.start, Relaxed);
        c.end.store(span.end, Relaxed);
        c.owner.store(interp.thread.tid, Release);
        table::add_held(interp.rt.slot, self.id());
        trace::hold_begin(interp, Hold::Lock, self.id(), span);
    }

    /// Release; only the holder may.
    pub fn release(&self, interp: &(impl Host + ?Sized)) -> R<()> {
        let me = interp.thread.tid;
        match self.owner() {
            Some(p) if p == me => {}
            None => return Err(ErrorObj::new(ErrorKind::ValueError, "release() of a lock that is not held")),
            Some(p) => {
                return Err(ErrorObj::new(
                    ErrorKind::ValueError,
                    format!(
                        "release() of a lock this {} does not hold: {} holds it",
                        holder_word(interp),
                        describe_pid(p)
                    ),
                )
                .with_help("only the process (or thread) that acquired a lock can release it"))
            }
        }
        // Traced first, so the hold ends before the next holder's begins.
        trace::hold_end(Hold::Lock, self.id());
        table::remove_held(interp.rt.slot, self.id());
        self.cell().owner.store(0, Release);
        // SAFETY: this thread holds the mutex.
        unsafe { libc::pthread_mutex_unlock(self.mutex()) };
        Ok(())
    }

    fn self_deadlock(&self, who: &str, span: Span) -> Box<ErrorObj> {
        let c = self.cell();
        let first = Span { src: SourceId(c.src.load(Relaxed)), start: c.start.load(Relaxed), end: c.end.load(Relaxed) };
        let mut e = ErrorObj::new(
            ErrorKind::Deadlock,
            format!(
                "this {who} already holds the lock (taken at {PLACE}); acquiring it again at {PLACE} would wait forever"
            ),
        )
        .with_help("release it first, or restructure so the lock is taken once");
        e.places = vec![Place::Line(first), Place::Line(span)];
        e.span = Some(span);
        e.labels.push((first, "first taken here".into()));
        e
    }

    /// The holder died: make the mutex consistent, free it, and report.
    fn abandoned(&self) -> Box<ErrorObj> {
        let dead = self.cell().owner.swap(0, AcqRel);
        table::remove_held_by_pid(dead, self.id());
        // SAFETY: we hold the mutex in the EOWNERDEAD state.
        unsafe {
            libc::pthread_mutex_consistent(self.mutex());
            libc::pthread_mutex_unlock(self.mutex());
        }
        let who = if dead == 0 { "a process".to_string() } else { describe_pid(dead) };
        ErrorObj::new(ErrorKind::LockAbandoned, format!("{who} died while holding this lock; the lock is free again"))
            .with_help("the data it protected may be half-updated; check it before going on")
    }
}

fn thread_here(tid: i32) -> bool {
    std::path::Path::new(&format!("/proc/self/task/{tid}")).exists()
}

/// "process", or "thread" for a thread other than a process's main one.
fn holder_word(interp: &(impl Host + ?Sized)) -> &'static str {
    if interp.thread.index == 0 {
        "process"
    } else {
        "thread"
    }
}

/// Who holds the lock with id `obj` and where they took it (for reports).
///
/// # Safety
/// `obj` must be the `id()` of a `Lock` of this program (as recorded in the
/// process table for a lock wait or a held lock): it is read as a lock cell
/// in the arena.
pub unsafe fn holder_of(obj: u64) -> Option<(i32, Span)> {
    let lock = Lock(Offset(obj as _));
    let owner = lock.owner()?;
    let c = lock.cell();
    let span = Span { src: SourceId(c.src.load(Relaxed)), start: c.start.load(Relaxed), end: c.end.load(Relaxed) };
    Some((owner, span))
}

/// `Process-1 (pid 123)` if the process table knows the pid, else `pid 123`.
pub fn describe_pid(pid: i32) -> String {
    match table::snapshot().into_iter().find(|e| e.pid == pid) {
        Some(e) if e.thread => format!("{} (thread {pid} of pid {})", e.name, e.ppid),
        Some(e) => format!("{} (pid {pid})", e.name),
        // A thread of this process that has ended (its OS thread lives on).
        None if pid != super::process::my_pid() && thread_here(pid) => format!("thread {pid} of this process (ended)"),
        None => format!("pid {pid}"),
    }
}

/// A lock's mutex, for the blocking call made with the GIL free.
#[derive(Clone, Copy)]
struct MutexPtr(*mut libc::pthread_mutex_t);

// SAFETY: a pointer into the shared arena, which stays mapped; the mutex
// is made for use by any thread of any process.
unsafe impl Send for MutexPtr {}

impl MutexPtr {
    fn get(self) -> *mut libc::pthread_mutex_t {
        self.0
    }
}

fn realtime_after(d: Duration) -> libc::timespec {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    let mut sec = now.tv_sec + d.as_secs() as libc::time_t;
    let mut nsec = now.tv_nsec + d.subsec_nanos() as libc::c_long;
    if nsec >= 1_000_000_000 {
        sec += 1;
        nsec -= 1_000_000_000;
    }
    libc::timespec { tv_sec: sec, tv_nsec: nsec }
}

/// A lock's methods (see `runtime::Table`).
pub const TABLE: Table = Table { methods: &[Member::Acquire, Member::Release, Member::Locked], fields: &[] };

pub fn call_method(interp: &mut (impl Host + ?Sized), l: &Lock, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Acquire => {
            let (timeout, block) = acquire_args(a)?;
            Ok(Value::Bool(l.acquire(interp, timeout, block, a.span)?))
        }
        Member::Release => {
            a.check(0, 0, &[])?;
            l.release(interp).map(|_| Value::Nil)
        }
        Member::Locked => {
            a.check(0, 0, &[])?;
            Ok(Value::Bool(l.owner().is_some()))
        }
        _ => Err(no_method(&Handle::Lock(*l), m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::host::Bare;
    use crate::runtime::shm::tests::{arena, in_child};

    #[test]
    fn acquire_and_release_by_the_holder_only() {
        arena();
        let mut interp = Bare::new();
        let me = interp.process.pid;
        let lock = Lock::new().unwrap();
        assert_eq!(lock.owner(), None);
        assert!(lock.acquire(&mut interp, None, true, Span::default()).unwrap());
        assert_eq!(lock.owner(), Some(me));
        // Held by this process: a non-blocking or timed acquire fails.
        assert!(!lock.acquire(&mut interp, None, false, Span::default()).unwrap());
        assert!(!lock.acquire(&mut interp, Some(0.01), true, Span::default()).unwrap());
        // Another process cannot take it while it is held.
        let code = in_child(|| {
            let mut interp = Bare::new();
            interp.process.pid = std::process::id() as i32;
            interp.rt.is_child = true;
            match lock.acquire(&mut interp, None, false, Span::default()) {
                Ok(false) => 0,
                _ => 1,
            }
        });
        assert_eq!(code, 0);
        lock.release(&interp).unwrap();
        assert_eq!(lock.owner(), None);
        assert!(lock.release(&interp).is_err(), "releasing a lock not held");
        assert!(lock.acquire(&mut interp, None, false, Span::default()).unwrap());
        lock.release(&interp).unwrap();
    }

    #[test]
    fn a_holder_that_dies_leaves_the_lock_abandoned_then_usable() {
        arena();
        let mut interp = Bare::new();
        let lock = Lock::new().unwrap();
        let code = in_child(|| {
            let mut interp = Bare::new();
            interp.process.pid = std::process::id() as i32;
            interp.rt.is_child = true;
            // Leaves holding it.
            i32::from(!matches!(lock.acquire(&mut interp, None, true, Span::default()), Ok(true)))
        });
        assert_eq!(code, 0);
        let err = lock.acquire(&mut interp, None, true, Span::default()).unwrap_err();
        assert!(format!("{:?}", err.kind).contains("LockAbandoned"), "{err:?}");
        assert_eq!(lock.owner(), None);
        assert!(lock.acquire(&mut interp, None, true, Span::default()).unwrap());
        lock.release(&interp).unwrap();
    }
}
