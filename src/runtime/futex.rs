//! Futex wait/wake on a 32-bit word in the shared arena (not the private
//! variant: waiters live in different processes). `sem` and `event` block
//! here, through `wait_until`, which honours timeouts and signals.

use crate::runtime::Host;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

use crate::diagnostics::R;

/// Why one `FUTEX_WAIT` returned.
enum Woke {
    /// Woken, or the word had already changed: look again.
    Maybe,
    Interrupted,
    TimedOut,
}

fn wait_once(word: &AtomicU32, expected: u32, left: Option<Duration>) -> Woke {
    let ts = left.map(|d| libc::timespec { tv_sec: d.as_secs() as libc::time_t, tv_nsec: d.subsec_nanos() as _ });
    let tsp = ts.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `word` is a valid aligned u32 in a shared mapping; FUTEX_WAIT
    // only reads it; the timeout is relative, as FUTEX_WAIT wants.
    let r = unsafe { libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAIT, expected, tsp) };
    if r == 0 {
        return Woke::Maybe;
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EINTR) => Woke::Interrupted,
        Some(libc::ETIMEDOUT) => Woke::TimedOut,
        _ => Woke::Maybe, // EAGAIN: the word is no longer `expected`
    }
}

/// Wake up to `n` processes waiting on `word`; how many were woken.
pub fn wake(word: &AtomicU32, n: i32) -> i64 {
    // SAFETY: plain FUTEX_WAKE on a valid shared word.
    unsafe { libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, n) }
}

/// Wake one process sleeping on `word`, unless one was woken already and
/// has not run yet (`woken` is 1): that one will look at the changed state
/// and pass the wake on if it leaves more behind. A fast producer then makes
/// one wake-up call per consumer nap, not one per change (each is a system
/// call, useless while the woken process waits for a CPU). `sleepers` counts
/// the registered waiters.
pub fn wake_one_coalesced(word: &AtomicU32, sleepers: &AtomicU32, woken: &AtomicU32) {
    use std::sync::atomic::Ordering::SeqCst;
    if sleepers.load(SeqCst) > 0 && woken.swap(1, SeqCst) == 0 && wake(word, 1) <= 0 {
        // Nobody was asleep in the kernel: a registered waiter has not
        // slept yet and will see the changed word by itself.
        woken.store(0, SeqCst);
    }
}

/// Block while `*word == expected`, at most until `deadline`. Signals are
/// handled at a safe point (which may raise). Returns false on timeout;
/// true means "look again" (the caller re-checks its condition).
pub fn wait_until(
    interp: &mut (impl Host + ?Sized),
    word: &AtomicU32,
    expected: u32,
    deadline: Option<Instant>,
) -> R<bool> {
    if super::signals::ANY_PENDING.load(std::sync::atomic::Ordering::Relaxed) {
        super::safe_point(interp)?;
    }
    let left = match deadline {
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            Some(left)
        }
        // The main process wakes now and then to look for a deadlock.
        None if !interp.rt.is_child => Some(super::deadlock::LOOK_EVERY),
        None => None,
    };
    match super::thread::unlocked(interp, || wait_once(word, expected, left)) {
        Woke::Maybe => Ok(true),
        Woke::Interrupted => {
            super::safe_point(interp)?;
            Ok(true)
        }
        Woke::TimedOut if deadline.is_none() => {
            super::deadlock::tick(interp)?;
            Ok(true)
        }
        Woke::TimedOut => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::host::Bare;
    use crate::runtime::shm::{self, tests::arena};
    use std::sync::atomic::Ordering::SeqCst;

    fn word() -> (&'static AtomicU32, shm::Offset) {
        arena();
        let off = shm::alloc(4).unwrap();
        // SAFETY: a live arena block of 4 bytes, only used atomically.
        (unsafe { &*shm::at::<AtomicU32>(off) }, off)
    }

    #[test]
    fn a_wake_reaches_a_waiter_in_another_process() {
        let (w, off) = word();
        let (ready, ready_off) = word();
        // SAFETY: fork only; the child runs the closure and `_exit`s.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let mut interp = Bare::new();
            interp.rt.is_child = true;
            ready.store(1, SeqCst);
            wake(ready, 1);
            // A lost wake leaves the child here until the deadline: exit 1.
            let deadline = Some(Instant::now() + Duration::from_secs(20));
            let code = loop {
                if w.load(SeqCst) == 7 {
                    break 0;
                }
                match wait_until(&mut interp, w, 0, deadline) {
                    Ok(true) => {}
                    _ => break 1,
                }
            };
            // SAFETY: leave the child without returning to the harness.
            unsafe { libc::_exit(code) };
        }
        let mut interp = Bare::new();
        while ready.load(SeqCst) == 0 {
            let _ = wait_until(&mut interp, ready, 0, Some(Instant::now() + Duration::from_secs(1)));
        }
        w.store(7, SeqCst);
        wake(w, i32::MAX);
        let mut status = 0;
        // SAFETY: our child; a live local for the status.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "status {status}");
        // SAFETY: a block of this test, not used again.
        unsafe { shm::free(off) };
        // SAFETY: a block of this test, not used again.
        unsafe { shm::free(ready_off) };
    }

    #[test]
    fn a_wait_ends_at_its_deadline_when_nobody_wakes() {
        let (w, off) = word();
        let mut interp = Bare::new();
        let start = Instant::now();
        let deadline = Some(start + Duration::from_millis(100));
        while wait_until(&mut interp, w, 0, deadline).unwrap() {}
        assert!(start.elapsed() >= Duration::from_millis(100));
        // A word that already differs returns at once: "look again".
        w.store(1, SeqCst);
        assert!(wait_until(&mut interp, w, 0, Some(Instant::now() + Duration::from_secs(60))).unwrap());
        assert_eq!(wake(w, 1), 0, "nobody was waiting");
        // SAFETY: a block of this test, not used again.
        unsafe { shm::free(off) };
    }

    #[test]
    fn coalesced_wake_only_marks_woken_when_someone_slept() {
        // A block of a size class no other test uses: a 64-byte block freed
        // by another test may still have a (child) waiter asleep on it,
        // whose wake would be counted here.
        arena();
        let off = shm::alloc(100_000).unwrap();
        // SAFETY: a live arena block, only used atomically.
        let w = unsafe { &*shm::at::<AtomicU32>(off) };
        let sleepers = AtomicU32::new(1);
        let woken = AtomicU32::new(0);
        // A registered waiter that is not asleep in the kernel yet.
        wake_one_coalesced(w, &sleepers, &woken);
        assert_eq!(woken.load(SeqCst), 0);
        // One already woken: no second wake is made or recorded.
        woken.store(1, SeqCst);
        wake_one_coalesced(w, &sleepers, &woken);
        assert_eq!(woken.load(SeqCst), 1);
        // SAFETY: a block of this test, not used again.
        unsafe { shm::free(off) };
    }
}
