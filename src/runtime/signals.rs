//! OS signals. The OS-level handlers only set bits; the interpreter acts on
//! them at its next safe point (a loop turn, a call, or a blocking wait
//! interrupted with EINTR) — never inside the handler. The exception is
//! `--timeout`, whose handler must end the tree even if the program is
//! stuck, and so does only async-signal-safe work (kill, waitpid, write,
//! _exit).
//!
//! `--timeout` runs on a POSIX timer of the main process that raises
//! SIGRTMAX, a signal no script can name (`signal()` and `kill()` take
//! numbers below 64), so a script's own SIGALRM handler cannot disable it.
//! Timers are not inherited by `fork`, and a child gives SIGRTMAX back its
//! default action, so the limit is only ever enforced by the main process.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};

/// One bit per pending signal number.
static PENDING: AtomicU64 = AtomicU64::new(0);
/// Fast check for safe points: any bit in `PENDING`.
pub static ANY_PENDING: AtomicBool = AtomicBool::new(false);
/// The `--timeout` message, prepared before the timer is armed.
static mut TIMEOUT_MSG: [u8; 128] = [0; 128];
static mut TIMEOUT_MSG_LEN: usize = 0;

extern "C" fn on_signal(sig: libc::c_int) {
    if (0..64).contains(&sig) {
        PENDING.fetch_or(1 << sig, SeqCst);
        ANY_PENDING.store(true, SeqCst);
    }
}

extern "C" fn on_timeout(_sig: libc::c_int) {
    // SAFETY: only async-signal-safe calls; the message was written before
    // the timer was armed and is never written again.
    unsafe {
        let msg = std::ptr::addr_of!(TIMEOUT_MSG) as *const u8;
        libc::write(2, msg.cast(), TIMEOUT_MSG_LEN);
        super::table::signal_all_others(libc::SIGKILL);
        super::guardian::kill_now();
        // Reap what was killed (adopted orphans too), but never wait long:
        // a process outside the table must not keep the limit from holding.
        let mut rounds = 0;
        loop {
            let r = libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG);
            if r > 0 {
                continue;
            }
            if r < 0 || rounds >= 100 {
                break;
            }
            rounds += 1;
            let ts = libc::timespec { tv_sec: 0, tv_nsec: 5_000_000 };
            libc::nanosleep(&ts, std::ptr::null_mut());
        }
        libc::_exit(124);
    }
}

/// The signal of the `--timeout` timer.
fn timeout_signal() -> libc::c_int {
    libc::SIGRTMAX()
}

fn install(sig: libc::c_int, handler: extern "C" fn(libc::c_int)) {
    install_with(sig, handler, false);
}

/// Like `install`, with every other signal blocked while the handler runs.
fn install_blocking_all(sig: libc::c_int, handler: extern "C" fn(libc::c_int)) {
    install_with(sig, handler, true);
}

fn install_with(sig: libc::c_int, handler: extern "C" fn(libc::c_int), block_all: bool) {
    // SAFETY: the handlers only touch atomics (or are the timeout handler
    // above); no SA_RESTART, so blocking calls return EINTR and the
    // interpreter reaches a safe point.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler as usize;
        if block_all {
            libc::sigfillset(&mut sa.sa_mask);
        } else {
            libc::sigemptyset(&mut sa.sa_mask);
        }
        sa.sa_flags = 0;
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
}

pub fn set_default(sig: libc::c_int) {
    // SAFETY: restoring the default disposition.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
    }
}

/// `signal(sig, "ignore")`: the OS drops it (Python's `SIG_IGN`).
pub fn ignore(sig: libc::c_int) {
    // SAFETY: setting the ignore disposition.
    unsafe {
        libc::signal(sig, libc::SIG_IGN);
    }
}

/// Catch SIGINT so Ctrl-C reaches a safe point instead of killing mid-write.
pub fn install_interrupt() {
    install(libc::SIGINT, on_signal);
}

/// Deliver `sig` to the interpreter at its next safe point.
pub fn catch(sig: libc::c_int) {
    install(sig, on_signal);
}

/// Arm `--timeout`: after `secs`, kill every process of the program (and
/// every `run()` command), reap, say so on stderr and exit 124.
pub fn arm_timeout(secs: f64) {
    let msg = format!("mpscript: --timeout reached after {secs} s: ending every process\n");
    let bytes = msg.as_bytes();
    let n = bytes.len().min(128);
    // SAFETY: written once, before the handler that reads it is installed.
    unsafe {
        let dst = std::ptr::addr_of_mut!(TIMEOUT_MSG) as *mut u8;
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, n);
        TIMEOUT_MSG_LEN = n;
    }
    install_blocking_all(timeout_signal(), on_timeout);
    // A limit too small for the clock still fires (a zero would disarm).
    let nanos = (secs * 1e9).clamp(1.0, i64::MAX as f64) as i64;
    let spec = libc::itimerspec {
        it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
        it_value: libc::timespec {
            tv_sec: (nanos / 1_000_000_000) as libc::time_t,
            tv_nsec: (nanos % 1_000_000_000) as libc::c_long,
        },
    };
    // SAFETY: a zeroed sigevent is valid; the timer id is written by the call.
    unsafe {
        let mut ev: libc::sigevent = std::mem::zeroed();
        ev.sigev_notify = libc::SIGEV_SIGNAL;
        ev.sigev_signo = timeout_signal();
        let mut timer: libc::timer_t = std::mem::zeroed();
        if libc::timer_create(libc::CLOCK_MONOTONIC, &mut ev, &mut timer) == 0 {
            libc::timer_settime(timer, 0, &spec, std::ptr::null_mut());
        }
    }
}

/// A forked child never enforces `--timeout` (the main process does).
pub fn forget_timeout() {
    set_default(timeout_signal());
}

/// Block every signal; returns the previous mask for `restore_mask`. Used
/// around `fork` so that nothing is delivered to a child before it has reset
/// the handlers it must not inherit.
pub fn block_all() -> libc::sigset_t {
    // SAFETY: plain sigset calls on local, initialised sets.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        old
    }
}

/// Put back a mask saved by `block_all`; signals that came meanwhile are
/// delivered now.
pub fn restore_mask(old: &libc::sigset_t) {
    // SAFETY: `old` is a mask returned by `block_all`.
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, old, std::ptr::null_mut());
    }
}

/// Take the set of pending signals, clearing it.
pub fn take_pending() -> u64 {
    ANY_PENDING.store(false, SeqCst);
    PENDING.swap(0, SeqCst)
}

/// For a thread other than the main one at a safe point: `ANY_PENDING`
/// may have been raised only to ask for the GIL; clear it unless a signal
/// waits (for the main thread). True when one does.
pub fn settle_pending() -> bool {
    if PENDING.load(SeqCst) != 0 {
        return true;
    }
    ANY_PENDING.store(false, SeqCst);
    // A signal landing meanwhile set its bit before raising the flag again.
    if PENDING.load(SeqCst) != 0 {
        ANY_PENDING.store(true, SeqCst);
        return true;
    }
    false
}

/// Forget pending signals (a fresh child starts with none).
pub fn clear() {
    take_pending();
}

pub fn number(name: &str) -> Option<i32> {
    let upper = name.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    Some(match name {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "KILL" => libc::SIGKILL,
        "USR1" => libc::SIGUSR1,
        "USR2" => libc::SIGUSR2,
        "TERM" => libc::SIGTERM,
        "ALRM" => libc::SIGALRM,
        "CHLD" => libc::SIGCHLD,
        "CONT" => libc::SIGCONT,
        "STOP" => libc::SIGSTOP,
        "PIPE" => libc::SIGPIPE,
        _ => return None,
    })
}

pub fn name(sig: i32) -> String {
    match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGTERM => "SIGTERM",
        libc::SIGALRM => "SIGALRM",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGCONT => "SIGCONT",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGPIPE => "SIGPIPE",
        other => return format!("signal {other}"),
    }
    .to_string()
}
