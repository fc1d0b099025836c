//! The process table: one entry per live process of the program, in a
//! `MAP_SHARED` anonymous mapping made before the first fork, so every
//! process sees every other's state. Each process writes only its own entry
//! (its parent fills it in before and right after the fork); anyone may
//! read. `:ps`, deadlock detection and tracing read it.
//!
//! Layout: a header (`capacity`) followed by `capacity` `Entry`s of fixed
//! size. An entry whose `pid` is 0 is free; -1 is reserved by a parent that
//! is about to fork.

use crate::syntax::span::{SourceId, Span};
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, Ordering::*};

pub const NAME_LEN: usize = 48;
/// How many held locks an entry remembers (for `:ps`); more are not shown.
pub const HELD_LEN: usize = 8;

/// What a process is doing, as others see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum State {
    Free = 0,
    Running = 1,
    Sleeping = 2,
    Waiting = 3,
    Exited = 4,
}

/// What a waiting process waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum WaitKind {
    None = 0,
    Join = 1,
    Lock = 2,
    Sem = 3,
    Event = 4,
    QueueGet = 5,
    QueuePut = 6,
    PipeRecv = 7,
    PipeSend = 8,
    QueueJoin = 9,
    Child = 10,
    Command = 11,
    Pool = 12,
    /// The main code has ended; the process waits for its children.
    Finish = 13,
    /// Waits for the outside world (never a deadlock): a connection, data
    /// or room on a socket, a connect to finish, a line of stdin.
    Accept = 14,
    SocketRecv = 15,
    SocketSend = 16,
    Connect = 17,
    Input = 18,
    /// A remote server (Redis): the outside world, never a deadlock.
    Remote = 19,
    /// The main code has ended; the process waits for its other threads.
    Threads = 20,
    Condition = 21,
    Barrier = 22,
}

impl WaitKind {
    pub fn describe(self) -> &'static str {
        match self {
            WaitKind::None => "nothing",
            WaitKind::Join => "join of a process",
            WaitKind::Lock => "a lock",
            WaitKind::Sem => "a semaphore",
            WaitKind::Event => "an event",
            WaitKind::QueueGet => "an item from a queue",
            WaitKind::QueuePut => "room in a queue",
            WaitKind::PipeRecv => "data on a pipe",
            WaitKind::PipeSend => "room in a pipe",
            WaitKind::QueueJoin => "a queue's tasks to be done",
            WaitKind::Child => "a child process (wait)",
            WaitKind::Command => "an external command",
            WaitKind::Pool => "a pool result",
            WaitKind::Finish => "its children to end (its code has finished)",
            WaitKind::Accept => "a connection (accept)",
            WaitKind::SocketRecv => "data on a socket",
            WaitKind::SocketSend => "room on a socket",
            WaitKind::Connect => "a connection to be made (connect)",
            WaitKind::Input => "a line of input",
            WaitKind::Remote => "a remote server (Redis)",
            WaitKind::Threads => "its threads to end (its code has finished)",
            WaitKind::Condition => "a condition to be notified",
            WaitKind::Barrier => "the other parties of a barrier",
        }
    }

    /// Whether only the outside world (a peer, a user at the terminal) can
    /// end this wait: such a process is never stuck.
    pub fn outside(self) -> bool {
        matches!(
            self,
            WaitKind::Accept
                | WaitKind::SocketRecv
                | WaitKind::SocketSend
                | WaitKind::Connect
                | WaitKind::Input
                | WaitKind::Remote
        )
    }

    fn from_u32(v: u32) -> WaitKind {
        use WaitKind::*;
        [
            None, Join, Lock, Sem, Event, QueueGet, QueuePut, PipeRecv, PipeSend, QueueJoin, Child, Command, Pool,
            Finish, Accept, SocketRecv, SocketSend, Connect, Input, Remote, Threads, Condition, Barrier,
        ]
        .get(v as usize)
        .copied()
        .unwrap_or(None)
    }
}

#[repr(C)]
pub struct Entry {
    pid: AtomicI32,
    ppid: AtomicI32,
    state: AtomicU32,
    exitcode: AtomicI32,
    daemon: AtomicU32,
    wait_kind: AtomicU32,
    /// 1 when the wait has a timeout (it can end by itself).
    wait_timed: AtomicU32,
    wait_src: AtomicU32,
    wait_start: AtomicU32,
    wait_end: AtomicU32,
    wait_obj: AtomicU64,
    /// How many `signal()` handlers the process has: a signal could still
    /// wake it, so it never counts as stuck.
    handlers: AtomicU32,
    /// The process group of the `run()` command the process waits for (0:
    /// none), so that ending the program ends the command too.
    command: AtomicI32,
    /// 1 for a thread of the process `ppid` (its `pid` is the thread's id):
    /// a lane of its own for `:ps`, tracing and deadlock detection, never
    /// signalled or counted as a process.
    thread: AtomicU32,
    /// Ids of the locks the process holds (0: an empty cell).
    held: [AtomicU64; HELD_LEN],
    name: [AtomicU8; NAME_LEN],
}

#[repr(C)]
struct Header {
    capacity: AtomicU32,
    /// Bumped on every change of any entry: a deadlock report needs the
    /// table to stand still, so that no wake-up is still on its way.
    epoch: AtomicU64,
}

/// A snapshot of one entry, for reports.
#[derive(Clone, Debug)]
pub struct EntryView {
    pub slot: u32,
    pub pid: i32,
    pub ppid: i32,
    pub name: String,
    pub state: State,
    pub exitcode: i32,
    pub daemon: bool,
    /// A thread of the process `ppid`, not a process.
    pub thread: bool,
    pub handlers: u32,
    pub wait: Option<WaitView>,
    /// Ids of the locks it holds (at most `HELD_LEN`).
    pub held: Vec<u64>,
}

#[derive(Clone, Copy, Debug)]
pub struct WaitView {
    pub kind: WaitKind,
    pub span: Span,
    pub obj: u64,
    pub timed: bool,
}

static TABLE: AtomicPtr<Header> = AtomicPtr::new(std::ptr::null_mut());

fn header() -> Option<&'static Header> {
    let p = TABLE.load(Acquire);
    // SAFETY: set once by `init` to a mapping that is never unmapped.
    unsafe { p.as_ref() }
}

fn entries() -> &'static [Entry] {
    match header() {
        Some(h) => {
            let cap = h.capacity.load(Relaxed) as usize;
            // SAFETY: `init` mapped `capacity` entries right after the header.
            unsafe {
                let first = (h as *const Header).add(1) as *const Entry;
                std::slice::from_raw_parts(first, cap)
            }
        }
        None => &[],
    }
}

/// Map the table (once per program, in the main process before any fork)
/// with room for `capacity` live processes, and enter the calling process
/// in slot 0. Returns false if the mapping failed.
pub fn init(capacity: usize, name: &str) -> bool {
    if header().is_some() {
        return true;
    }
    let capacity = capacity.max(1);
    let bytes = std::mem::size_of::<Header>() + capacity * std::mem::size_of::<Entry>();
    // SAFETY: a fresh anonymous shared mapping; zeroed memory is a valid
    // table (every entry free). It lives until the process exits.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return false;
    }
    let h = p as *mut Header;
    // SAFETY: `h` points at the start of the new mapping.
    unsafe { (*h).capacity.store(capacity as u32, Relaxed) };
    TABLE.store(h, Release);
    let me = &entries()[0];
    me.pid.store(std::process::id() as i32, Relaxed);
    me.ppid.store(nix::unistd::getppid().as_raw(), Relaxed);
    me.state.store(State::Running as u32, Relaxed);
    set_name_at(0, name);
    true
}

fn bump() {
    if let Some(h) = header() {
        h.epoch.fetch_add(1, AcqRel);
    }
}

/// The change counter of the whole table.
pub fn epoch() -> u64 {
    header().map_or(0, |h| h.epoch.load(Acquire))
}

/// Record how many signal handlers the process in `slot` has.
pub fn set_handlers(slot: u32, n: u32) {
    if let Some(e) = entries().get(slot as usize) {
        e.handlers.store(n, Relaxed);
    }
    bump();
}

/// Number of entries in use by processes (live or not yet reaped).
pub fn live_count() -> usize {
    entries().iter().filter(|e| e.pid.load(Relaxed) != 0 && e.thread.load(Relaxed) == 0).count()
}

/// Reserve a slot for a thread of this process (its pid is set by the
/// thread itself, to its thread id).
pub fn reserve_thread(name: &str, daemon: bool) -> Option<u32> {
    let slot = reserve(name, daemon)?;
    entries()[slot as usize].thread.store(1, Relaxed);
    Some(slot)
}

/// Free the entries of the threads of `pid` (a process that ended).
pub fn free_threads_of(pid: i32) {
    for (i, e) in entries().iter().enumerate() {
        if e.thread.load(Relaxed) == 1 && e.ppid.load(Relaxed) == pid && e.pid.load(Acquire) != 0 {
            free(i as u32);
        }
    }
}

/// Reserve a free slot for a child about to be forked.
pub fn reserve(name: &str, daemon: bool) -> Option<u32> {
    for (i, e) in entries().iter().enumerate() {
        if e.pid.compare_exchange(0, -1, AcqRel, Relaxed).is_ok() {
            e.ppid.store(super::process::my_pid(), Relaxed);
            e.state.store(State::Running as u32, Relaxed);
            e.exitcode.store(0, Relaxed);
            e.daemon.store(daemon as u32, Relaxed);
            e.wait_kind.store(WaitKind::None as u32, Relaxed);
            e.handlers.store(0, Relaxed);
            e.command.store(0, Relaxed);
            e.thread.store(0, Relaxed);
            e.held.iter().for_each(|h| h.store(0, Relaxed));
            set_name_at(i as u32, name);
            return Some(i as u32);
        }
    }
    None
}

/// Record the pid of the process in `slot` (done by both sides of a fork).
pub fn set_pid(slot: u32, pid: i32) {
    bump();
    if let Some(e) = entries().get(slot as usize) {
        e.pid.store(pid, Release);
    }
}

pub fn free(slot: u32) {
    bump();
    if let Some(e) = entries().get(slot as usize) {
        e.state.store(State::Free as u32, Relaxed);
        e.pid.store(0, Release);
    }
}

pub fn set_name_at(slot: u32, name: &str) {
    if let Some(e) = entries().get(slot as usize) {
        let bytes = name.as_bytes();
        let mut n = bytes.len().min(NAME_LEN - 1);
        while !name.is_char_boundary(n) {
            n -= 1;
        }
        for (i, cell) in e.name.iter().enumerate() {
            cell.store(if i < n { bytes[i] } else { 0 }, Relaxed);
        }
    }
}

pub fn set_state(slot: u32, state: State) {
    bump();
    if let Some(e) = entries().get(slot as usize) {
        e.state.store(state as u32, Release);
    }
}

pub fn set_exited(slot: u32, code: i32) {
    bump();
    if let Some(e) = entries().get(slot as usize) {
        e.exitcode.store(code, Relaxed);
        e.state.store(State::Exited as u32, Release);
    }
}

/// Record that the process in `slot` starts waiting.
pub fn set_waiting(slot: u32, kind: WaitKind, span: Span, obj: u64, timed: bool) {
    bump();
    if let Some(e) = entries().get(slot as usize) {
        e.wait_kind.store(kind as u32, Relaxed);
        e.wait_timed.store(timed as u32, Relaxed);
        e.wait_src.store(span.src.0, Relaxed);
        e.wait_start.store(span.start, Relaxed);
        e.wait_end.store(span.end, Relaxed);
        e.wait_obj.store(obj, Relaxed);
        e.state.store(State::Waiting as u32, Release);
    }
}

/// Note that the process in `slot` took the lock `id` (for `:ps`).
pub fn add_held(slot: u32, id: u64) {
    if let Some(e) = entries().get(slot as usize) {
        if let Some(cell) = e.held.iter().find(|h| h.load(Relaxed) == 0) {
            cell.store(id, Relaxed);
        }
    }
}

/// Note that the process in `slot` no longer holds the lock `id`.
pub fn remove_held(slot: u32, id: u64) {
    if let Some(e) = entries().get(slot as usize) {
        if let Some(cell) = e.held.iter().find(|h| h.load(Relaxed) == id) {
            cell.store(0, Relaxed);
        }
    }
}

/// The lock `id` was found abandoned by `pid`, which died holding it.
pub fn remove_held_by_pid(pid: i32, id: u64) {
    if let Some(i) = entries().iter().position(|e| e.pid.load(Acquire) == pid) {
        remove_held(i as u32, id);
    }
}

/// Every used entry, for `:ps` and reports.
pub fn snapshot() -> Vec<EntryView> {
    let mut out = Vec::new();
    for (i, e) in entries().iter().enumerate() {
        let pid = e.pid.load(Acquire);
        if pid <= 0 {
            continue;
        }
        let state = match e.state.load(Acquire) {
            1 => State::Running,
            2 => State::Sleeping,
            3 => State::Waiting,
            4 => State::Exited,
            _ => State::Free,
        };
        let name_bytes: Vec<u8> = e.name.iter().map(|c| c.load(Relaxed)).take_while(|b| *b != 0).collect();
        let wait = (state == State::Waiting).then(|| WaitView {
            kind: WaitKind::from_u32(e.wait_kind.load(Relaxed)),
            span: Span {
                src: SourceId(e.wait_src.load(Relaxed)),
                start: e.wait_start.load(Relaxed),
                end: e.wait_end.load(Relaxed),
            },
            obj: e.wait_obj.load(Relaxed),
            timed: e.wait_timed.load(Relaxed) != 0,
        });
        out.push(EntryView {
            slot: i as u32,
            pid,
            ppid: e.ppid.load(Relaxed),
            name: String::from_utf8_lossy(&name_bytes).into_owned(),
            state,
            exitcode: e.exitcode.load(Relaxed),
            daemon: e.daemon.load(Relaxed) != 0,
            thread: e.thread.load(Relaxed) != 0,
            handlers: e.handlers.load(Relaxed),
            wait,
            held: e.held.iter().map(|h| h.load(Relaxed)).filter(|&h| h != 0).collect(),
        });
    }
    out
}

/// Record the process group of the `run()` command the process in `slot`
/// starts (0 when it has ended).
pub fn set_command(slot: u32, pgid: i32) {
    if let Some(e) = entries().get(slot as usize) {
        e.command.store(pgid, Release);
    }
}

/// The process group of the `run()` command `pid` waits for, if any.
pub fn command_of(pid: i32) -> Option<i32> {
    let e = entries().iter().find(|e| e.pid.load(Acquire) == pid)?;
    Some(e.command.load(Acquire)).filter(|&g| g > 0)
}

/// Every process of the program and every `run()` command's process group,
/// as recorded (some may have ended): for the guardian.
pub fn recorded() -> (Vec<i32>, Vec<i32>) {
    let pids = entries()
        .iter()
        .filter(|e| e.thread.load(Relaxed) == 0)
        .map(|e| e.pid.load(Acquire))
        .filter(|&p| p > 0)
        .collect();
    let groups = entries().iter().map(|e| e.command.load(Acquire)).filter(|&g| g > 0).collect();
    (pids, groups)
}

/// Send `sig` to every process in the table but the caller, and to every
/// `run()` command's process group (the caller's too). Only
/// async-signal-safe calls: used from the `--timeout` handler.
pub fn signal_all_others(sig: i32) {
    // SAFETY: getpid and kill are async-signal-safe; kill on a stale pid is harmless here.
    let me = unsafe { libc::getpid() };
    for e in entries() {
        let pid = e.pid.load(Relaxed);
        // A thread's id would signal its whole process (this one, maybe).
        if pid > 0 && pid != me && e.thread.load(Relaxed) == 0 {
            // SAFETY: kill is async-signal-safe and touches no memory of ours.
            unsafe { libc::kill(pid, sig) };
        }
        let group = e.command.load(Relaxed);
        if group > 0 {
            // SAFETY: as above; a negative pid names the command's process group.
            unsafe { libc::kill(-group, sig) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_claimed_until_full_and_freed_for_reuse() {
        assert!(init(4, "main"));
        assert_eq!(live_count(), 1, "the caller is in slot 0");
        let slots: Vec<u32> = (0..3).map(|i| reserve(&format!("w{i}"), false).expect("a free slot")).collect();
        assert_eq!(slots, [1, 2, 3]);
        assert_eq!(reserve("one too many", false), None);
        assert_eq!(live_count(), 4);
        set_pid(2, 4242);
        let names: Vec<String> = snapshot().into_iter().map(|e| e.name).collect();
        assert!(names.contains(&"w1".to_string()), "{names:?}");
        free(2);
        assert_eq!(live_count(), 3);
        assert_eq!(reserve("again", true), Some(2));
        for s in slots {
            free(s);
        }
        assert_eq!(live_count(), 1);
    }
}
