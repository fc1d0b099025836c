//! `run()`: an external command, waited for so that Ctrl-C, SIGTERM and
//! `--timeout` can always end it. The command runs in its own process
//! group, recorded in the process table, so that ending it (SIGTERM to the
//! group, SIGKILL after the grace period) ends what it started too; it dies
//! with the process that ran it (PR_SET_PDEATHSIG), and the guardian ends
//! its group if the main process is killed. Its input and output go
//! through non-blocking pipes polled on the interpreter's own thread: no
//! helper thread, which would make the next fork unsafe.

use super::process::GRACE;
use super::table::{self, WaitKind};
use super::wait::Recorded;
use super::{safe_point, signals};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Host;
use crate::syntax::span::Span;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use crate::diagnostics::R;

/// What a command printed and how it ended.
pub struct Ran {
    /// The exit code, or -N when a signal N ended it.
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Run `cmd` to its end, feeding it `input`; interruptible.
pub fn run(interp: &mut (impl Host + ?Sized), mut cmd: Command, input: Option<String>, span: Span) -> R<Ran> {
    let _rec = Recorded::new(interp, WaitKind::Command, span, 0, false);
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let parent = super::process::my_pid();
    let slot = interp.rt.slot;
    // SAFETY: prctl, getpid, getppid and an atomic store into the shared
    // table are async-signal-safe, as a pre_exec hook must be. The command
    // records its own group before it can start anything; a parent gone
    // before the prctl would never signal: give up then.
    unsafe {
        cmd.pre_exec(move || {
            table::set_command(slot, libc::getpid());
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            // The command starts with no signal blocked (the spawn ran with
            // all of them blocked).
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            match libc::getppid() == parent {
                true => Ok(()),
                false => Err(std::io::Error::from_raw_os_error(libc::ESRCH)),
            }
        });
    }
    // No signal may end this process between the start of the command and
    // the record of its group (the command would be left behind); the
    // command itself starts with an empty mask (set in `pre_exec`).
    let mask = signals::block_all();
    let spawned = cmd.spawn();
    if let Ok(child) = &spawned {
        table::set_command(interp.rt.slot, child.id() as i32);
    }
    signals::restore_mask(&mask);
    let mut child = spawned.map_err(|e| {
        // As Python says it: "No such file or directory: 'nosuch'".
        let text = e.to_string();
        let reason = text.split(" (os error").next().unwrap_or(&text);
        let prog = cmd.get_program().to_string_lossy();
        ErrorObj::new(ErrorKind::IOError, format!("run(): cannot start the command: {reason}: '{prog}'"))
    })?;
    let pid = child.id() as i32;
    let streams = Streams {
        input: child.stdin.take().map(|w| (w, input.unwrap_or_default().into_bytes(), 0)),
        stdout: child.stdout.take(),
        stderr: child.stderr.take(),
    };
    let result = collect(interp, streams);
    if result.is_err() {
        end(pid);
    }
    table::set_command(interp.rt.slot, 0);
    let (stdout, stderr) = result?;
    let status = wait_exit(interp, pid);
    table::set_command(interp.rt.slot, 0);
    Ok(Ran { code: status?, stdout, stderr })
}

/// The command's pipes, each dropped (closed) when done.
struct Streams {
    /// The write end of its stdin, what to write, and how much is written.
    input: Option<(std::process::ChildStdin, Vec<u8>, usize)>,
    stdout: Option<std::process::ChildStdout>,
    stderr: Option<std::process::ChildStderr>,
}

fn nonblocking(fd: i32) {
    // SAFETY: fcntl on a pipe end we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
}

/// Read and write until both output pipes reach end of file.
fn collect(interp: &mut (impl Host + ?Sized), mut s: Streams) -> R<(Vec<u8>, Vec<u8>)> {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    if let Some((w, data, _)) = &s.input {
        if data.is_empty() {
            s.input = None;
        } else {
            nonblocking(w.as_raw_fd());
        }
    }
    for fd in [s.stdout.as_ref().map(|o| o.as_raw_fd()), s.stderr.as_ref().map(|e| e.as_raw_fd())].into_iter().flatten()
    {
        nonblocking(fd);
    }
    while s.stdout.is_some() || s.stderr.is_some() || s.input.is_some() {
        let mut fds = Vec::with_capacity(3);
        if let Some((w, _, _)) = &s.input {
            fds.push(libc::pollfd { fd: w.as_raw_fd(), events: libc::POLLOUT, revents: 0 });
        }
        if let Some(o) = &s.stdout {
            fds.push(libc::pollfd { fd: o.as_raw_fd(), events: libc::POLLIN, revents: 0 });
        }
        if let Some(e) = &s.stderr {
            fds.push(libc::pollfd { fd: e.as_raw_fd(), events: libc::POLLIN, revents: 0 });
        }
        let fds_now = &mut fds[..];
        // SAFETY: a valid array of pollfds.
        let r = super::thread::unlocked(interp, || unsafe {
            libc::poll(fds_now.as_mut_ptr(), fds_now.len() as libc::nfds_t, 100)
        });
        if r < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            let e = std::io::Error::last_os_error();
            return Err(ErrorObj::new(ErrorKind::IOError, format!("run(): poll() failed: {e}")));
        }
        if signals::ANY_PENDING.load(Relaxed) {
            safe_point(interp)?;
        }
        if r <= 0 {
            continue;
        }
        for p in fds.iter().filter(|p| p.revents != 0) {
            if s.input.as_ref().is_some_and(|(w, _, _)| w.as_raw_fd() == p.fd) {
                feed(&mut s.input);
            } else if s.stdout.as_ref().is_some_and(|o| o.as_raw_fd() == p.fd) {
                if drain(p.fd, &mut out) {
                    s.stdout = None;
                }
            } else if drain(p.fd, &mut err) {
                s.stderr = None;
            }
        }
    }
    Ok((out, err))
}

/// Write what the pipe takes; close it when all is written or the command
/// stopped reading.
fn feed(input: &mut Option<(std::process::ChildStdin, Vec<u8>, usize)>) {
    let Some((w, data, done)) = input else { return };
    // SAFETY: writing from a valid buffer to our own pipe end.
    let n = unsafe { libc::write(w.as_raw_fd(), data[*done..].as_ptr().cast(), data.len() - *done) };
    if n > 0 {
        *done += n as usize;
    }
    let again = n < 0 && matches!(std::io::Error::last_os_error().raw_os_error(), Some(libc::EAGAIN | libc::EINTR));
    if *done >= data.len() || (n < 0 && !again) {
        *input = None;
    }
}

/// Read what is there; true at end of file (or an error).
fn drain(fd: i32, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 16384];
    loop {
        // SAFETY: reading into a valid local buffer from our own pipe end.
        let n = unsafe { libc::read(fd, chunk.as_mut_ptr().cast(), chunk.len()) };
        match n {
            0 => return true,
            n if n > 0 => buf.extend_from_slice(&chunk[..n as usize]),
            _ => return !matches!(std::io::Error::last_os_error().raw_os_error(), Some(libc::EAGAIN | libc::EINTR)),
        }
    }
}

/// Wait for the command itself, interruptibly; its exit code.
fn wait_exit(interp: &mut (impl Host + ?Sized), pid: i32) -> R<i32> {
    loop {
        let mut status = 0;
        // SAFETY: our own child; WNOHANG never blocks.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return Ok(decode(status));
        }
        if r < 0 {
            return Err(ErrorObj::new(ErrorKind::IOError, format!("run(): {}", std::io::Error::last_os_error())));
        }
        if signals::ANY_PENDING.load(Relaxed) {
            if let Err(e) = safe_point(interp) {
                end(pid);
                return Err(e);
            }
        }
        super::thread::unlocked(interp, || std::thread::sleep(Duration::from_millis(2)));
    }
}

fn decode(status: i32) -> i32 {
    if libc::WIFSIGNALED(status) {
        -libc::WTERMSIG(status)
    } else {
        libc::WEXITSTATUS(status)
    }
}

/// End the command and its process group: SIGTERM, then SIGKILL after the
/// grace period (said on stderr); reap it.
fn end(pid: i32) {
    // SAFETY: plain kills of our own command's group; waitpid on our child.
    unsafe {
        libc::kill(-pid, libc::SIGTERM);
        let deadline = Instant::now() + GRACE;
        loop {
            let r = libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG);
            if r == pid || (r < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR)) {
                break;
            }
            if Instant::now() >= deadline {
                super::output::eprint(&format!(
                    "mpscript: the command run() started (pid {pid}) did not end within {} s of SIGTERM: killing it (SIGKILL)\n",
                    GRACE.as_secs_f64()
                ));
                libc::kill(-pid, libc::SIGKILL);
                while libc::waitpid(pid, std::ptr::null_mut(), 0) < 0
                    && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
                {}
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        // What the command left in its group ends with it.
        libc::kill(-pid, libc::SIGKILL);
    }
}
