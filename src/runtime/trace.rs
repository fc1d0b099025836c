//! Tracing (`--trace FILE`, `--timeline FILE.svg`). Every process of the
//! program appends one JSON line per event to ONE anonymous memory file
//! (`memfd_create`), made in the main process before the first fork and
//! inherited by every child. It is opened with `O_APPEND` and each line is a
//! single `write(2)`, so lines of different processes never interleave; no
//! file on disk is involved until the end. Times are `CLOCK_MONOTONIC`
//! nanoseconds, the same clock in every process.
//!
//! At the very end the main process — after every child has been reaped —
//! reads the lines back, pairs begins and ends per process into properly
//! nested slices (`Model`), and writes the Chrome trace-event JSON
//! (Perfetto, chrome://tracing) and/or the SVG timeline (`timeline.rs`).
//!
//! Off, every hook costs one relaxed load of `ENABLED`.
//!
//! Line format: `{"t":ns,"p":pid,"k":kind,...}` where kind is
//! ```text
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

use super::table::WaitKind;
use crate::diagnostics::ErrorObj;
use crate::eval::Interp;
use crate::syntax::span::{line_col, Span};
use rustc_hash::FxHashMap;
use serde_json::json;
use std::cell::RefCell;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering::Relaxed};

type R<T> = Result<T, Box<ErrorObj>>;

static ENABLED: AtomicBool = AtomicBool::new(false);
/// The shared memfd every process appends to.
static FD: AtomicI32 = AtomicI32::new(-1);
/// This process's pid (set again by each child as it starts).
static PID: AtomicI32 = AtomicI32::new(0);
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
pub fn output_to(interp: &mut Interp, what: Output, path: &Path) -> R<()> {
    let file =
        File::create(path).map_err(|e| ErrorObj::new("IOError", format!("cannot create `{}`: {e}", path.display())))?;
    let slot = match what {
        Output::Trace => &mut interp.rt.trace.trace,
        Output::Timeline => &mut interp.rt.trace.timeline,
    };
    *slot = Some((path.to_path_buf(), file));
    enable(interp)
}

fn enable(interp: &Interp) -> R<()> {
    if enabled() {
        return Ok(());
    }
    // SAFETY: a valid NUL-terminated name; the new fd is ours.
    let fd = unsafe { libc::memfd_create(c"mpscript-trace".as_ptr(), libc::MFD_CLOEXEC) };
    // SAFETY: setting a status flag on our own fd.
    if fd < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_APPEND) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(ErrorObj::new("IOError", format!("cannot make the trace buffer: {e}")));
    }
    FD.store(fd, Relaxed);
    PID.store(interp.process.pid, Relaxed);
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

/// One event line for this process, in one write.
fn emit(kind: &str, rest: &str) {
    emit_for(PID.load(Relaxed), kind, rest)
}

fn emit_for(pid: i32, kind: &str, rest: &str) {
    let line = format!("{{\"t\":{},\"p\":{pid},\"k\":\"{kind}\"{rest}}}\n", now_ns());
    let _ = super::output::write_all(FD.load(Relaxed), line.as_bytes());
}

thread_local! {
    /// `,"c":…,"n":…,"at":…` by (what, span): labels read the source text,
    /// so a loop taking the same lock a million times formats it once.
    static LABELS: RefCell<FxHashMap<(&'static str, Span), Rc<str>>> = RefCell::default();
}

/// `file:line` of a span, or "" for none.
fn place(interp: &Interp, span: Span) -> String {
    match interp.sources.get(span.src) {
        Some(src) if span != Span::default() => format!("{}:{}", src.name, line_col(&src.text, span.start as usize).0),
        _ => String::new(),
    }
}

fn fields(cat: &str, name: &str, at: &str) -> String {
    format!(",\"c\":{},\"n\":{},\"at\":{}", quote(cat), quote(name), quote(at))
}

/// The fields of a label, made once per (what, span).
fn label(interp: &Interp, what: &'static str, span: Span, make: impl FnOnce() -> (String, String)) -> Rc<str> {
    if let Some(l) = LABELS.with(|m| m.borrow().get(&(what, span)).cloned()) {
        return l;
    }
    let (cat, name) = make();
    let l: Rc<str> = fields(&cat, &name, &place(interp, span)).into();
    LABELS.with(|m| m.borrow_mut().insert((what, span), l.clone()));
    l
}

fn kind_tag(kind: WaitKind) -> &'static str {
    match kind {
        WaitKind::Lock => "lock",
        WaitKind::Sem => "sem",
        WaitKind::Event => "event",
        WaitKind::QueueGet | WaitKind::QueuePut | WaitKind::QueueJoin => "queue",
        WaitKind::PipeRecv | WaitKind::PipeSend => "pipe",
        WaitKind::Join | WaitKind::Child => "join",
        WaitKind::Command => "command",
        WaitKind::Pool => "pool",
        WaitKind::None => "other",
    }
}

/// A wait starts (from `wait::Recorded`, so every blocking call is seen).
pub fn wait_begin(interp: &Interp, kind: WaitKind, span: Span, obj: u64) {
    if !enabled() {
        return;
    }
    let tag = kind_tag(kind);
    let rest = if kind == WaitKind::Join && span == Span::default() {
        // The end-of-program join: no source line, name the child instead.
        fields("wait,join", &format!("wait for the end of {}", super::lock::describe_pid(obj as i32)), "")
    } else {
        label(interp, tag, span, || {
            (format!("wait,{tag}"), format!("wait for {}", super::deadlock::what(interp, kind, span)))
        })
        .to_string()
    };
    emit("b", &format!(",\"id\":\"w\"{rest}"));
}

/// `sleep(secs)` starts.
pub fn sleep_begin() {
    if enabled() {
        emit("b", &format!(",\"id\":\"w\"{}", fields("sleep", "sleep", "")));
    }
}

/// The current wait or sleep ends.
pub fn wait_end() {
    if enabled() {
        emit("e", ",\"id\":\"w\"");
    }
}

/// This process took a lock or a sem permit at `span`.
pub fn hold_begin(interp: &Interp, hold: Hold, obj: u64, span: Span) {
    if !enabled() {
        return;
    }
    let (what, noun) = match hold {
        Hold::Lock => ("hold lock", "lock"),
        Hold::Sem => ("hold sem", "sem"),
    };
    let rest = label(interp, what, span, || {
        let name = match super::deadlock::target_name(interp, span) {
            Some(t) => format!("hold {noun} `{t}`"),
            None => format!("hold {noun}"),
        };
        (format!("hold,{noun}"), name)
    });
    emit("b", &format!(",\"id\":\"{}:{obj}\"{rest}", hold.tag()));
}

/// This process gave a lock or a sem permit back.
pub fn hold_end(hold: Hold, obj: u64) {
    if !enabled() {
        return;
    }
    let n = match hold {
        Hold::Lock => "release lock",
        Hold::Sem => "release sem",
    };
    emit("e", &format!(",\"id\":\"{}:{obj}\",\"c\":\"{}\",\"n\":\"{n}\"", hold.tag(), n.replace(' ', ",")));
}

/// An operation worth a mark on the timeline: `op(interp, "queue put", span)`
/// shows as the instant "queue put `q`" (the receiver's source text) with
/// its file:line. The first word is the category.
pub fn op(interp: &Interp, what: &'static str, span: Span) {
    if !enabled() {
        return;
    }
    let rest = label(interp, what, span, || {
        let cat = what.replace(' ', ",");
        let name = match super::deadlock::target_name(interp, span) {
            Some(t) => format!("{what} `{t}`"),
            None => what.to_string(),
        };
        (cat, name)
    });
    emit("i", &rest);
}

/// A forked child starts (first thing in the child).
pub fn started(name: &str, pid: i32) {
    if enabled() {
        PID.store(pid, Relaxed);
        emit("n", &format!(",\"n\":{}", quote(name)));
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
pub fn write_outputs(interp: &mut Interp) {
    let outputs = std::mem::take(&mut interp.rt.trace);
    if !enabled() || (outputs.trace.is_none() && outputs.timeline.is_none()) {
        return;
    }
    main_ends();
    ENABLED.store(false, Relaxed);
    let model = match read_back() {
        Ok(text) => Model::build(&text, START.load(Relaxed)),
        Err(e) => return super::output::eprint(&format!("mpscript: cannot read the trace back: {e}\n")),
    };
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

fn read_back() -> std::io::Result<String> {
    let fd = FD.load(Relaxed);
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        // SAFETY: a valid buffer; pread ignores O_APPEND and the shared offset.
        let n = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), bytes.len() as libc::off_t) };
        match n {
            0 => break,
            n if n > 0 => bytes.extend_from_slice(&buf[..n as usize]),
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// One line of the buffer.
#[derive(serde::Deserialize)]
struct Rec {
    t: u64,
    p: i32,
    k: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    c: String,
    #[serde(default)]
    n: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    code: Option<i32>,
}

/// The run, ready to draw: one track per process, in order of start.
#[derive(Debug, Default)]
pub struct Model {
    pub tracks: Vec<Track>,
    /// Time of the last event, in µs since the start.
    pub end: f64,
}

#[derive(Debug, Default)]
pub struct Track {
    pub pid: i32,
    pub name: String,
    /// µs since the start of the trace.
    pub start: f64,
    pub end: f64,
    pub exitcode: Option<i32>,
    /// Properly nested: a slice at `depth` d lies within one at d-1.
    pub slices: Vec<Slice>,
    pub marks: Vec<Mark>,
}

impl Track {
    /// The lane's name: `name pid`.
    pub fn label(&self) -> String {
        format!("{} {}", self.name, self.pid)
    }
}

#[derive(Clone, Debug)]
pub struct Slice {
    pub name: String,
    /// Comma-separated categories, the first one the family: `wait,lock`.
    pub cat: String,
    pub at: String,
    pub ts: f64,
    pub dur: f64,
    pub depth: usize,
}

#[derive(Clone, Debug)]
pub struct Mark {
    pub name: String,
    pub cat: String,
    pub at: String,
    pub ts: f64,
}

/// A slice still open while a track's events are replayed.
struct Open<'a> {
    rec: &'a Rec,
    ts: u64,
}

impl Model {
    /// Build from the buffer's lines; times are relative to `start` (ns).
    pub fn build(text: &str, start: u64) -> Model {
        let recs: Vec<Rec> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        let last = recs.iter().map(|r| r.t).max().unwrap_or(start);
        let us = |t: u64| t.saturating_sub(start) as f64 / 1000.0;
        let mut pids: Vec<i32> = Vec::new();
        let mut by_pid: FxHashMap<i32, Vec<&Rec>> = FxHashMap::default();
        for r in &recs {
            let v = by_pid.entry(r.p).or_default();
            if v.is_empty() {
                pids.push(r.p);
            }
            v.push(r);
        }
        // Labels by slice id, so a sem released by another process is named.
        let labels: FxHashMap<&str, &str> =
            recs.iter().filter(|r| r.k == "b").map(|r| (r.id.as_str(), r.n.as_str())).collect();
        let mut tracks: Vec<Track> = pids
            .iter()
            .map(|pid| {
                let own = &by_pid[pid];
                let first = |k: &str| own.iter().find(|r| r.k == k);
                let name = own.iter().rev().find(|r| r.k == "rn").or_else(|| first("n")).map(|r| r.n.clone());
                let (end, exitcode) = match first("x").or_else(|| first("r")) {
                    Some(r) => (r.t, r.code),
                    None => (last, None),
                };
                let begin = own.iter().map(|r| r.t).min().unwrap_or(start);
                let mut track = Track {
                    pid: *pid,
                    name: name.unwrap_or_else(|| "?".into()),
                    start: us(begin),
                    end: us(end.max(begin)),
                    exitcode,
                    ..Track::default()
                };
                replay(&mut track, own, end, &labels, &us);
                track
            })
            .collect();
        tracks.sort_by(|a, b| a.start.total_cmp(&b.start));
        Model { tracks, end: us(last) }
    }

    /// The Chrome trace-event JSON object.
    pub fn chrome_json(&self) -> serde_json::Value {
        let mut events = Vec::new();
        for (i, t) in self.tracks.iter().enumerate() {
            let label = t.label();
            for (what, arg) in [("process_name", json!({"name": label})), ("thread_name", json!({"name": label}))] {
                events.push(json!({"ph": "M", "name": what, "pid": t.pid, "tid": t.pid, "args": arg}));
            }
            for what in ["process_sort_index", "thread_sort_index"] {
                events.push(json!({"ph": "M", "name": what, "pid": t.pid, "tid": t.pid, "args": {"sort_index": i}}));
            }
            for s in &t.slices {
                let mut e = json!({
                    "ph": "X", "name": s.name, "cat": s.cat, "ts": s.ts, "dur": s.dur, "pid": t.pid, "tid": t.pid,
                });
                with_place(&mut e, &s.at);
                events.push(e);
            }
            for m in &t.marks {
                let mut e =
                    json!({"ph": "i", "s": "t", "name": m.name, "cat": m.cat, "ts": m.ts, "pid": t.pid, "tid": t.pid});
                with_place(&mut e, &m.at);
                events.push(e);
            }
        }
        json!({"traceEvents": events, "displayTimeUnit": "ms"})
    }
}

/// `"args": {"at": "file:line"}` when the event has a place.
fn with_place(event: &mut serde_json::Value, at: &str) {
    if !at.is_empty() {
        event["args"] = json!({ "at": at });
    }
}

/// Turn one process's records into nested slices and marks. An end that
/// closes a slice below the top (locks released out of order) closes the
/// ones above it and reopens them, so slices always nest.
fn replay(track: &mut Track, own: &[&Rec], end: u64, labels: &FxHashMap<&str, &str>, us: &impl Fn(u64) -> f64) {
    // First pair each end with its begin, innermost first, per id.
    let mut open: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    let mut paired = vec![false; own.len()];
    for (i, r) in own.iter().enumerate() {
        match r.k.as_str() {
            "b" => open.entry(&r.id).or_default().push(i),
            "e" => {
                if let Some(b) = open.get_mut(r.id.as_str()).and_then(|v| v.pop()) {
                    paired[b] = true;
                    paired[i] = true;
                }
            }
            _ => {}
        }
    }
    let mark = |track: &mut Track, r: &Rec, name: String| {
        track.marks.push(Mark { name, cat: r.c.clone(), at: r.at.clone(), ts: us(r.t) })
    };
    let mut stack: Vec<Open> = Vec::new();
    let close = |track: &mut Track, o: &Open, depth: usize, t: u64| {
        track.slices.push(Slice {
            name: o.rec.n.clone(),
            cat: o.rec.c.clone(),
            at: o.rec.at.clone(),
            ts: us(o.ts),
            dur: t.saturating_sub(o.ts) as f64 / 1000.0,
            depth,
        })
    };
    for (i, r) in own.iter().enumerate() {
        match r.k.as_str() {
            // A sem permit this process never gave back: just the acquire.
            "b" if !paired[i] && r.id.starts_with("s:") => {
                mark(track, r, r.n.replacen("hold", "acquire", 1));
            }
            "b" => stack.push(Open { rec: r, ts: r.t }),
            "e" if !paired[i] => {
                let name = labels.get(r.id.as_str()).map_or_else(|| r.n.clone(), |n| n.replacen("hold", "release", 1));
                mark(track, r, name)
            }
            "e" => {
                let Some(pos) = stack.iter().rposition(|o| o.rec.id == r.id) else { continue };
                let above: Vec<Open> = stack.drain(pos + 1..).collect();
                for (d, o) in above.iter().enumerate().rev() {
                    close(track, o, pos + 1 + d, r.t);
                }
                let o = stack.pop().expect("found above");
                close(track, &o, pos, r.t);
                stack.extend(above.into_iter().map(|o| Open { ts: r.t, ..o }));
            }
            "i" => mark(track, r, r.n.clone()),
            _ => {}
        }
    }
    while let Some(o) = stack.pop() {
        close(track, &o, stack.len(), end);
    }
    let name = match track.exitcode {
        Some(code) if code < 0 => format!("killed by {}", super::signals::name(-code)),
        Some(code) => format!("exit {code}"),
        None => "end".into(),
    };
    track.marks.push(Mark { name, cat: "process,exit".into(), at: String::new(), ts: track.end });
    track.slices.sort_by(|a, b| a.ts.total_cmp(&b.ts).then(a.depth.cmp(&b.depth)));
    track.marks.sort_by(|a, b| a.ts.total_cmp(&b.ts));
}
