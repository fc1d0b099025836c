//! The guardian: a tiny process forked by the main process at startup, so
//! that killing the main process with SIGKILL (which no handler can see)
//! still ends the whole program. Spawned children die with their parent
//! (PR_SET_PDEATHSIG), but `fork()` children and `run()` commands do not.
//!
//! The guardian holds the read end of a pipe whose only write end is the
//! main process's (close-on-exec, and closed in every forked child). When
//! the main process ends normally it writes one byte and waits for the
//! guardian to leave; when it dies any other way the guardian reads end of
//! file, and kills every process of the program: the pids in the process
//! table, the members of every `run()` command's process group, and every
//! descendant of those it finds in /proc. It is not in the process table
//! and never counts as a child of the program; `ps` shows it as
//! `mpscript-guard`.

use super::table;
use std::collections::HashSet;
use std::sync::atomic::{AtomicI32, Ordering::Relaxed};

/// The guardian's pid (0: none) and the main process's end of the pipe.
static PID: AtomicI32 = AtomicI32::new(0);
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);

/// The byte that tells the guardian the program ended cleanly.
const BYE: u8 = b'q';

/// Fork the guardian. Call in the main process, after the process table is
/// mapped and while it is the only thread (a host with threads goes
/// without a guardian: a fork there is not safe).
pub fn start(threads: usize) {
    if PID.load(Relaxed) != 0 || threads > 1 {
        return;
    }
    let mut fds = [0i32; 2];
    // SAFETY: a valid array for pipe2.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return;
    }
    let [read_end, write_end] = fds;
    // SAFETY: the process is single-threaded (checked by the caller); the
    // child only closes fds, reads, walks /proc, kills and `_exit`s.
    match unsafe { libc::fork() } {
        0 => guard(read_end, write_end),
        pid if pid > 0 => {
            // SAFETY: our own fd.
            unsafe { libc::close(read_end) };
            PID.store(pid, Relaxed);
            WRITE_FD.store(write_end, Relaxed);
        }
        _ => {
            // SAFETY: our own fds.
            unsafe {
                libc::close(read_end);
                libc::close(write_end);
            }
        }
    }
}

/// The guardian's pid, if there is one (it is a child of the main process
/// that `wait()` must not count).
pub fn pid() -> Option<i32> {
    Some(PID.load(Relaxed)).filter(|&p| p > 0)
}

/// In a freshly forked child: drop the write end, so that only the main
/// process keeps the pipe open, and forget the guardian.
pub fn forget_in_child() {
    let fd = WRITE_FD.swap(-1, Relaxed);
    if fd >= 0 {
        // SAFETY: our inherited copy of the fd.
        unsafe { libc::close(fd) };
    }
    PID.store(0, Relaxed);
}

/// The program ends cleanly: tell the guardian, and reap it.
pub fn release() {
    let fd = WRITE_FD.swap(-1, Relaxed);
    let pid = PID.swap(0, Relaxed);
    if fd >= 0 {
        // SAFETY: our own fd and a one-byte buffer.
        unsafe {
            libc::write(fd, [BYE].as_ptr().cast(), 1);
            libc::close(fd);
        }
    }
    if pid > 0 {
        // SAFETY: our own child; EINTR is retried.
        while unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) } < 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
        {}
    }
}

/// From the `--timeout` handler: the guardian is not needed any more.
/// Async-signal-safe; the handler reaps it.
pub fn kill_now() {
    let pid = PID.load(Relaxed);
    if pid > 0 {
        // SAFETY: plain kill of our own child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// The guardian's life: wait for the main process to go, then end the rest.
fn guard(read_end: i32, write_end: i32) -> ! {
    // SAFETY: fd and signal bookkeeping in the new process, then a blocking read.
    unsafe {
        libc::close(write_end);
        // Seen as `mpscript-guard` in ps and /proc/PID/comm.
        libc::prctl(libc::PR_SET_NAME, c"mpscript-guard".as_ptr(), 0, 0, 0);
        // Ctrl-C and SIGTERM are for the program; the guardian outlives them.
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGPIPE] {
            libc::signal(sig, libc::SIG_IGN);
        }
        libc::signal(libc::SIGRTMAX(), libc::SIG_DFL);
        // Hold no one's pipe open: stdin and stdout go to /dev/null, every
        // other inherited fd is closed (stderr stays for nothing but errors).
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::dup2(null, 1);
        }
        for fd in 3..1024 {
            if fd != read_end {
                libc::close(fd);
            }
        }
        let main = libc::getppid();
        let mut byte = 0u8;
        let clean = loop {
            let n = libc::read(read_end, (&mut byte as *mut u8).cast(), 1);
            if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            break n == 1 && byte == BYE;
        };
        if !clean {
            sweep(main);
        }
        libc::_exit(0)
    }
}

/// Kill every process of the program but the (dead) main one. Each round
/// stops what it finds first, so nothing forks or leaves its parent while
/// the tree is collected, then kills it all; a few rounds catch late forks.
fn sweep(main: i32) {
    let me = std::process::id() as i32;
    let ours = cmdline(me);
    for _ in 0..20 {
        let (pids, groups) = table::recorded();
        let procs = processes();
        let mut found: HashSet<i32> = HashSet::new();
        // Program processes are forks of the main one: the same command line
        // (a recycled pid of some other program is left alone).
        for pid in pids {
            if pid != main && pid != me && cmdline(pid) == ours {
                found.insert(pid);
            }
        }
        for p in &procs {
            if groups.contains(&p.pgrp) && p.pid != me {
                found.insert(p.pid);
            }
        }
        // Descendants of what was found (a command's children in other groups).
        loop {
            let before = found.len();
            for p in &procs {
                if found.contains(&p.ppid) && p.pid != me {
                    found.insert(p.pid);
                }
            }
            if found.len() == before {
                break;
            }
        }
        let live: Vec<i32> = found.into_iter().filter(|&p| procs.iter().any(|q| q.pid == p && !q.dead)).collect();
        if live.is_empty() {
            return;
        }
        for &pid in &live {
            // SAFETY: plain kill of a process of the program.
            unsafe { libc::kill(pid, libc::SIGSTOP) };
        }
        for &pid in &live {
            // SAFETY: as above.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

struct Proc {
    pid: i32,
    ppid: i32,
    pgrp: i32,
    dead: bool,
}

fn processes() -> Vec<Proc> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return out };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let Some((_, rest)) = stat.rsplit_once(')') else { continue };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.len() < 3 {
            continue;
        }
        out.push(Proc {
            pid,
            ppid: f[1].parse().unwrap_or(0),
            pgrp: f[2].parse().unwrap_or(0),
            dead: f[0].starts_with(['Z', 'X']),
        });
    }
    out
}

fn cmdline(pid: i32) -> Vec<u8> {
    std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default()
}
