//! OS signals. The OS-level handlers only set bits; the interpreter acts on
//! them at its next safe point (a loop turn, a call, or a blocking wait
//! interrupted with EINTR) — never inside the handler. The exception is
//! `--timeout`, whose handler must end the tree even if the program is
//! stuck, and so does only async-signal-safe work (kill, waitpid, write,
//! _exit).

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
        while libc::waitpid(-1, std::ptr::null_mut(), 0) > 0 {}
        libc::_exit(124);
    }
}

fn install(sig: libc::c_int, handler: extern "C" fn(libc::c_int)) {
    // SAFETY: the handlers only touch atomics (or are the timeout handler
    // above); no SA_RESTART, so blocking calls return EINTR and the
    // interpreter reaches a safe point.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler as usize;
        libc::sigemptyset(&mut sa.sa_mask);
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

/// Arm `--timeout`: after `secs`, kill every process of the program, reap,
/// say so on stderr and exit 124.
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
    install(libc::SIGALRM, on_timeout);
    let whole = secs.trunc();
    let timer = libc::itimerval {
        it_interval: libc::timeval { tv_sec: 0, tv_usec: 0 },
        it_value: libc::timeval { tv_sec: whole as libc::time_t, tv_usec: ((secs - whole) * 1e6) as libc::suseconds_t },
    };
    // SAFETY: a plain setitimer call; timers are not inherited by fork.
    unsafe {
        libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut());
    }
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
