//! Tracing (`--trace FILE`, `--timeline FILE.svg`). Every process of the
//! program appends one JSON line per event to ONE buffer: an anonymous
//! memory file (`memfd_create`) mapped `MAP_SHARED` by the main process
//! before the first fork, so every child shares it. A process reserves a
//! chunk of it with one atomic add on the buffer's `tail` and copies its
//! lines into that chunk: no system call per event, and lines of different
//! processes never interleave. Unused bytes stay NUL; a process killed
//! mid-copy leaves a torn line followed by NULs; the reader skips both. No
//! file on disk is involved until the end. Times are `CLOCK_MONOTONIC`
//! nanoseconds, the same clock in every process.
//!
//! Layout of the buffer:
//! ```text
//! tail     u64   bytes of lines reserved so far (in chunks)
//! dropped  u64   events not recorded because the buffer was full
//! labels   u64   label ids handed out (ids are unique program-wide)
//! lines    from byte 4096, CAPACITY bytes (pages are allocated as chunks are taken)
//! ```
//!
//! At the very end the main process — after every child has been reaped —
//! reads the lines back, pairs begins and ends per process into properly
//! nested slices (`model.rs`), and writes the Chrome trace-event JSON
//! (Perfetto, chrome://tracing) and/or the SVG timeline (`timeline.rs`).
//!
//! Off, every hook costs one relaxed load of `ENABLED`.
//!
//! Line format: `{"t":ns,"p":pid,"k":kind,...}`, t counted from the
//! start of tracing, where kind is
//! ```text
//! d   defines label L: the fields id, c, n, at that a hot event (a lock
//!     taken in a loop) then gives as just "L":id, to keep lines short
//! b   a slice begins: id (w: the wait; l:N hold of lock N; s:N hold of
//!     sem N), c (categories), n (label), at (file:line)
//! e   the innermost open slice `id` ends (none open: an instant `n`)
//! i   an instant: c, n, at
//! n   process p starts, named n          rn  its parent renames it n
//! x   process p ends by itself (code)    r   its parent reaped it (code)
//! ```
//! A slice a process leaves open when it dies (a wait, a lock it held) ends
//! at its exit; a sem permit never given back by the same process shows as
//! an instant, since any process may release a semaphore.

mod model;

pub use model::{Model, Slice, Track};

use super::table::WaitKind;
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Host;
use crate::syntax::span::{line_col, Span};
use rustc_hash::FxHashMap;
use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering::*};

use crate::diagnostics::R;

static ENABLED: AtomicBool = AtomicBool::new(false);
/// The shared buffer every process appends to (see the layout above).
static BUF: AtomicPtr<Header> = AtomicPtr::new(std::ptr::null_mut());
/// Room for lines: a hot event (a lock, a queue put) takes ~45 bytes.
const CAPACITY: usize = 256 << 20;
/// The lines start on the page after the header, so chunks are page-aligned.
const LINES_AT: usize = 4096;

#[repr(C)]
struct Header {
    tail: AtomicU64,
    dropped: AtomicU64,
    labels: AtomicU64,
}

thread_local! {
    /// The lane this OS thread writes to: its process's pid, or a script
    /// thread's id (set again by each child and thread as it starts).
    static PID: Cell<i32> = const { Cell::new(0) };
}
/// When tracing began: time 0 of the outputs.
static START: AtomicU64 = AtomicU64::new(0);

/// Whether this run is traced. One relaxed load: every hook checks it first.
#[inline]
pub fn enabled() -> bool {
    ENABLED.load(Relaxed)
}

/// A kind of hold slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold {
    Lock,
    Sem,
}

impl Hold {
    fn tag(self) -> &'static str {
        match self {
            Hold::Lock => "l",
            Hold::Sem => "s",
        }
    }
}

/// The files written at the end of the run (created when tracing is asked
/// for, so a bad path fails before the script runs).
#[derive(Debug, Default)]
pub struct Outputs {
    trace: Option<(PathBuf, File)>,
    timeline: Option<(PathBuf, File)>,
}

/// Which output `output_to` sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Chrome trace-event JSON.
    Trace,
    /// SVG swimlanes.
    Timeline,
}

/// Ask for an output at the end of the run, and turn tracing on. Must be
/// called in the main process before the first fork.
pub fn output_to(interp: &mut (impl Host + ?Sized), what: Output, path: &Path) -> R<()> {
    let file = File::create(path)
        .map_err(|e| ErrorObj::new(ErrorKind::IOError, format!("cannot create `{}`: {e}", path.display())))?;
    let slot = match what {
        Output::Trace => &mut interp.rt.trace.trace,
        Output::Timeline => &mut interp.rt.trace.timeline,
    };
    *slot = Some((path.to_path_buf(), file));
    enable(interp)
}

fn enable(interp: &(impl Host + ?Sized)) -> R<()> {
    if enabled() {
        return Ok(());
    }
    let size = LINES_AT + CAPACITY;
    // SAFETY: a new memfd, sized (sparsely) and mapped shared; the mapping
    // keeps the memory alive after the fd is closed, and lives until exit.
    let p = unsafe {
        let fd = libc::memfd_create(c"mpscript-trace".as_ptr(), libc::MFD_CLOEXEC);
        let p = if fd >= 0 && libc::ftruncate(fd, size as libc::off_t) == 0 {
            let prot = libc::PROT_READ | libc::PROT_WRITE;
            libc::mmap(std::ptr::null_mut(), size, prot, libc::MAP_SHARED | libc::MAP_NORESERVE, fd, 0)
        } else {
            libc::MAP_FAILED
        };
        if fd >= 0 {
            libc::close(fd);
        }
        p
    };
    if p == libc::MAP_FAILED {
        let e = std::io::Error::last_os_error();
        return Err(ErrorObj::new(ErrorKind::IOError, format!("cannot make the trace buffer: {e}")));
    }
    BUF.store(p.cast(), Release);
    PID.set(interp.process.pid);
    START.store(now_ns(), Relaxed);
    ENABLED.store(true, Relaxed);
    emit("n", &format!(",\"n\":{}", quote(&interp.process.name)));
    Ok(())
}

fn now_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid out-pointer; CLOCK_MONOTONIC is the same in every process.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"?\"".into())
}

/// One event line of this process; `rest` is its fields after `k`, each
/// starting with a comma.
fn emit(kind: &str, rest: &str) {
    emit_for(PID.get(), kind, rest)
}

fn emit_for(pid: i32, kind: &str, rest: &str) {
    emit_at(now_ns(), pid, kind, rest)
}

/// Copied in piece by piece rather than formatted with `format!`, which
/// would cost more than the queue or lock operation being traced.
fn emit_at(t: u64, pid: i32, kind: &str, rest: &str) {
    let Some(h) = buffer() else { return };
    let (mut tb, mut pb) = ([0u8; 20], [0u8; 20]);
    let t = digits(&mut tb, t.saturating_sub(START.load(Relaxed)));
    let pid = digits(&mut pb, pid.unsigned_abs() as u64);
    let parts: [&[u8]; 9] =
        [b"{\"t\":", t, b",\"p\":", pid, b",\"k\":\"", kind.as_bytes(), b"\"", rest.as_bytes(), b"}\n"];
    let n = parts.iter().map(|p| p.len()).sum();
    let Some(at) = room(h, n) else {
        h.dropped.fetch_add(1, Relaxed);
        return;
    };
    let mut dst = lines(h).wrapping_add(at);
    for part in parts {
        // SAFETY: bytes `at..at + n` of the lines area belong to this
        // process's current chunk (see `room`) and lie inside the mapping.
        unsafe {
            std::ptr::copy_nonoverlapping(part.as_ptr(), dst, part.len());
            dst = dst.add(part.len());
        }
    }
}

/// Where the next `n` bytes of this process's lines go. A process takes a
/// chunk of the buffer at a time (one atomic add), so writers rarely touch
/// the shared `tail`; a chunk's unused end stays NUL, which the reader skips.
fn room(h: &Header, n: usize) -> Option<usize> {
    CHUNK.with(|c| {
        let (at, end) = c.get();
        if at + n <= end {
            c.set((at + n, end));
            return Some(at);
        }
        let size = n.max(CHUNK_SIZE).next_multiple_of(LINES_AT);
        let start = h.tail.fetch_add(size as u64, Relaxed) as usize;
        if start + size > CAPACITY {
            return None;
        }
        // Fault the chunk's pages in with one call rather than one fault
        // each (Linux 5.14+; elsewhere the pages just fault in as written).
        // SAFETY: advice on a range inside our mapping.
        unsafe { libc::madvise(lines(h).add(start).cast(), size, libc::MADV_POPULATE_WRITE) };
        c.set((start + n, start + size));
        Some(start)
    })
}

/// "00" "01" … "99": two digits at a time.
const PAIRS: [u8; 200] = {
    let mut a = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        a[2 * i] = b'0' + (i / 10) as u8;
        a[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    a
};

/// The decimal digits of `v`, written at the end of `buf`.
fn digits(buf: &mut [u8; 20], mut v: u64) -> &[u8] {
    let mut i = buf.len();
    while v >= 100 {
        let d = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
    }
    if v >= 10 {
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[v as usize * 2..v as usize * 2 + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    &buf[i..]
}

fn buffer() -> Option<&'static Header> {
    // SAFETY: set once by `enable` to a mapping that is never unmapped.
    unsafe { BUF.load(Acquire).as_ref() }
}

fn lines(h: &Header) -> *mut u8 {
    // SAFETY: the lines follow the header in the same mapping.
    unsafe { (h as *const Header as *mut u8).add(LINES_AT) }
}

/// How much of the buffer a process takes at a time.
const CHUNK_SIZE: usize = 64 << 10;

/// What a cached label is made for: (what, span, object), `what` by address
/// and length, since hashing its text would cost more than the lookup saves.
type LabelKey = ((usize, usize), Span, u64);

thread_local! {
    /// This process's current chunk of the buffer: next free byte, end.
    static CHUNK: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    /// The fields of an event by (what, span, object): labels read the
    /// source text, so a loop taking the same lock a million times makes
    /// its line's fields once.
    static LABELS: RefCell<FxHashMap<LabelKey, Rc<str>>> = RefCell::default();
}

/// `file:line` of a span, or "" for none.
fn place(interp: &(impl Host + ?Sized), span: Span) -> String {
    match interp.sources.get(span.src) {
        Some(src) if span != Span::default() => format!("{}:{}", src.name, line_col(&src.text, span.start as usize).0),
        _ => String::new(),
    }
}

fn fields(cat: &str, name: &str, at: &str) -> String {
    format!(",\"c\":{},\"n\":{},\"at\":{}", quote(cat), quote(name), quote(at))
}

/// An event's fields, by (what, span, obj): made and written once as a
/// label definition, then referred to as `,"L":id`.
fn cached(what: &'static str, span: Span, obj: u64, make: impl FnOnce() -> String) -> Rc<str> {
    let key = ((what.as_ptr() as usize, what.len()), span, obj);
    if let Some(l) = LABELS.with(|m| m.borrow().get(&key).cloned()) {
        return l;
    }
    let Some(h) = buffer() else { return make().into() };
    let id = h.labels.fetch_add(1, Relaxed) + 1;
    emit("d", &format!(",\"L\":{id}{}", make()));
    let l: Rc<str> = format!(",\"L\":{id}").into();
    LABELS.with(|m| {
        let mut m = m.borrow_mut();
        // A program making ever new locks must not grow this forever.
        if m.len() >= 4096 {
            m.clear();
        }
        m.insert(key, l.clone());
    });
    l
}

fn kind_tag(kind: WaitKind) -> &'static str {
    match kind {
        WaitKind::Lock => "lock",
        WaitKind::Sem => "sem",
        WaitKind::Event => "event",
        WaitKind::QueueGet | WaitKind::QueuePut | WaitKind::QueueJoin => "queue",
        WaitKind::PipeRecv | WaitKind::PipeSend => "pipe",
        WaitKind::Join | WaitKind::Child | WaitKind::Finish | WaitKind::Threads => "join",
        WaitKind::Command => "command",
        WaitKind::Pool => "pool",
        WaitKind::Accept | WaitKind::SocketRecv | WaitKind::SocketSend | WaitKind::Connect => "socket",
        WaitKind::Input => "input",
        WaitKind::Remote => "remote",
        WaitKind::Condition => "condition",
        WaitKind::Barrier => "barrier",
        WaitKind::None => "other",
    }
}

/// A wait starts (from `wait::Recorded`, so every blocking call is seen).
pub fn wait_begin(interp: &(impl Host + ?Sized), kind: WaitKind, span: Span, obj: u64) {
    if !enabled() {
        return;
    }
    let tag = kind_tag(kind);
    if kind == WaitKind::Join && span == Span::default() {
        // The end-of-program join: no source line, name the child instead.
        let name = format!("wait for the end of {}", super::lock::describe_pid(obj as i32));
        return emit("b", &format!(",\"id\":\"w\"{}", fields("wait,join", &name, "")));
    }
    let rest = cached(tag, span, 0, || {
        let name = format!("wait for {}", super::deadlock::what(interp, kind, span));
        format!(",\"id\":\"w\"{}", fields(&format!("wait,{tag}"), &name, &place(interp, span)))
    });
    emit("b", &rest);
}

/// `sleep(secs)` starts.
pub fn sleep_begin() {
    if enabled() {
        emit("b", ",\"id\":\"w\",\"c\":\"sleep\",\"n\":\"sleep\",\"at\":\"\"");
    }
}

/// The current wait or sleep ends.
pub fn wait_end() {
    if enabled() {
        emit("e", ",\"id\":\"w\"");
    }
}

/// This process took a lock or a sem permit at `span`.
#[inline]
pub fn hold_begin(interp: &(impl Host + ?Sized), hold: Hold, obj: u64, span: Span) {
    if enabled() {
        emit_hold_begin(interp, hold, obj, span);
    }
}

#[cold]
fn emit_hold_begin(interp: &(impl Host + ?Sized), hold: Hold, obj: u64, span: Span) {
    let (what, noun) = match hold {
        Hold::Lock => ("hold lock", "lock"),
        Hold::Sem => ("hold sem", "sem"),
    };
    let rest = cached(what, span, obj, || {
        let name = match super::deadlock::target_name(interp, span) {
            Some(t) => format!("hold {noun} `{t}`"),
            None => format!("hold {noun}"),
        };
        format!(",\"id\":\"{}:{obj}\"{}", hold.tag(), fields(&format!("hold,{noun}"), &name, &place(interp, span)))
    });
    emit("b", &rest);
}

/// This process gave a lock or a sem permit back.
#[inline]
pub fn hold_end(hold: Hold, obj: u64) {
    if enabled() {
        emit_hold_end(hold, obj);
    }
}

#[cold]
fn emit_hold_end(hold: Hold, obj: u64) {
    let (n, c) = match hold {
        Hold::Lock => ("release lock", "release,lock"),
        Hold::Sem => ("release sem", "release,sem"),
    };
    let rest =
        cached(n, Span::default(), obj, || format!(",\"id\":\"{}:{obj}\",\"c\":\"{c}\",\"n\":\"{n}\"", hold.tag()));
    emit("e", &rest);
}

/// An operation worth a mark on the timeline: `op(interp, "queue put", span)`
/// shows as the instant "queue put `q`" (the receiver's source text) with
/// its file:line. The first word is the category.
pub fn op(interp: &(impl Host + ?Sized), what: &'static str, span: Span) {
    if enabled() {
        op_at(interp, what, span, Stamp(now_ns()));
    }
}

/// The time of an operation, taken where it happens (say with a queue's
/// mutex held, to keep cause before effect) and traced later with `op_at`
/// (after the mutex is released, so tracing does not lengthen the critical
/// section). `None` when tracing is off.
#[derive(Clone, Copy, Debug)]
pub struct Stamp(u64);

#[inline]
pub fn stamp() -> Option<Stamp> {
    enabled().then(|| Stamp(now_ns()))
}

/// `op`, at a time taken earlier with `stamp`.
pub fn op_at(interp: &(impl Host + ?Sized), what: &'static str, span: Span, at: Stamp) {
    if !enabled() {
        return;
    }
    let rest = cached(what, span, 0, || {
        let name = match super::deadlock::target_name(interp, span) {
            Some(t) => format!("{what} `{t}`"),
            None => what.to_string(),
        };
        fields(&what.replace(' ', ","), &name, &place(interp, span))
    });
    emit_at(at.0, PID.get(), "i", &rest);
}

/// Which part of a shared object an access reads or writes.
pub enum Part<'a> {
    Index(&'a crate::value::Value),
    Field(&'a str),
}

thread_local! {
    /// When this process last took a shared object's mutex: the time of
    /// its latest read or write, as it happened (not when it is traced).
    static SHARED_AT: Cell<u64> = const { Cell::new(0) };
}

/// A shared object's mutex was just taken (called with it held).
#[inline]
pub fn note_shared_access() {
    if enabled() {
        SHARED_AT.set(now_ns());
    }
}

/// A read or write of a shared object, with the value read or written:
/// the instant "read `left.value` → 1" at `obj`'s line, so a lost update
/// can be seen (two reads of the same value, then two writes).
pub fn shared(
    interp: &(impl Host + ?Sized),
    h: &super::Handle,
    write: bool,
    obj: Span,
    part: Part,
    v: &crate::value::Value,
) {
    if enabled() && matches!(h, super::Handle::Shared(_)) {
        emit_shared(interp, write, obj, part, v);
    }
}

#[cold]
fn emit_shared(interp: &(impl Host + ?Sized), write: bool, obj: Span, part: Part, v: &crate::value::Value) {
    let text = interp.sources.get(obj.src).and_then(|s| s.text.get(obj.start as usize..obj.end as usize));
    let what = match (text.filter(|t| t.len() <= 40 && !t.contains('\n')), part) {
        (Some(t), Part::Field(f)) => format!("{t}.{f}"),
        (Some(t), Part::Index(i)) => format!("{t}[{}]", crate::value::repr(i)),
        (None, Part::Field(f)) => format!("a shared object's .{f}"),
        (None, Part::Index(i)) => format!("a shared object's [{}]", crate::value::repr(i)),
    };
    let mut value = crate::value::repr(v);
    if value.len() > 60 {
        let mut cut = 57;
        while !value.is_char_boundary(cut) {
            cut -= 1;
        }
        value = format!("{}...", &value[..cut]);
    }
    let (cat, name) = match write {
        true => ("shared,write", format!("write `{what}` ← {value}")),
        false => ("shared,read", format!("read `{what}` → {value}")),
    };
    let at = match SHARED_AT.get() {
        0 => now_ns(),
        t => t,
    };
    emit_at(at, PID.get(), "i", &fields(cat, &name, &place(interp, obj)));
}

/// A forked child starts (first thing in the child).
pub fn started(name: &str, pid: i32) {
    if enabled() {
        PID.set(pid);
        // The parent's chunk is the parent's: start a new one.
        CHUNK.with(|c| c.set((0, 0)));
        emit("n", &format!(",\"n\":{}", quote(name)));
    }
}

/// A script thread `name` starts on this OS thread, whose id is `tid`:
/// a lane of its own.
pub fn thread_started(name: &str, tid: i32) {
    PID.set(tid);
    if enabled() {
        emit("n", &format!(",\"n\":{}", quote(name)));
    }
}

/// A script thread ends by itself.
pub fn thread_ended() {
    if enabled() {
        emit("x", ",\"code\":0");
    }
}

/// The parent forked `name` as `pid`.
pub fn spawned(name: &str, pid: i32) {
    if enabled() {
        emit("i", &fields("process,spawn", &format!("spawn {name} (pid {pid})"), ""));
    }
}

/// The parent renamed child `pid` (`p.name = …`).
pub fn renamed(pid: i32, name: &str) {
    if enabled() {
        emit_for(pid, "rn", &format!(",\"n\":{}", quote(name)));
    }
}

/// This process ends by itself with `code`.
pub fn exited(code: i32) {
    if enabled() {
        emit("x", &format!(",\"code\":{code}"));
    }
}

/// The main process ends (its exit code is the CLI's business).
fn main_ends() {
    emit("x", "");
}

/// The parent reaped child `pid` (its end, if it could not say so itself).
pub fn reaped(pid: i32, code: i32) {
    if enabled() {
        emit_for(pid, "r", &format!(",\"code\":{code}"));
    }
}

/// At the very end of the main process, after every child was reaped:
/// write the asked-for files. Problems are reported on stderr; they do
/// not change the program's exit code.
pub fn write_outputs(interp: &mut (impl Host + ?Sized)) {
    let outputs = std::mem::take(&mut interp.rt.trace);
    if !enabled() || (outputs.trace.is_none() && outputs.timeline.is_none()) {
        return;
    }
    main_ends();
    ENABLED.store(false, Relaxed);
    let Some(h) = buffer() else { return };
    let used = (h.tail.load(Acquire) as usize).min(CAPACITY);
    // SAFETY: every process that wrote has ended; `used` bytes are in the mapping.
    let bytes = unsafe { std::slice::from_raw_parts(lines(h), used) };
    let model = Model::build(&String::from_utf8_lossy(bytes));
    let dropped = h.dropped.load(Relaxed);
    if dropped > 0 {
        let mib = CAPACITY >> 20;
        super::output::eprint(&format!(
            "mpscript: the trace buffer ({mib} MiB) filled up: {dropped} events left out\n"
        ));
    }
    if let Some((path, file)) = outputs.trace {
        save(&path, file, |w| serde_json::to_writer(w, &model.chrome_json()).map_err(std::io::Error::from));
    }
    if let Some((path, file)) = outputs.timeline {
        save(&path, file, |w| w.write_all(super::timeline::render(&model).as_bytes()));
    }
}

fn save(path: &Path, file: File, body: impl FnOnce(&mut std::io::BufWriter<File>) -> std::io::Result<()>) {
    let mut w = std::io::BufWriter::new(file);
    if let Err(e) = body(&mut w).and_then(|_| w.flush()) {
        super::output::eprint(&format!("mpscript: cannot write `{}`: {e}\n", path.display()));
    }
}
