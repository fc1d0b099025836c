//! Deadlock detection. The main process looks at the
//! process table while it waits: when every live process of the program
//! waits with no timeout on a primitive (lock, sem, event, queue, pipe,
//! join), none has a signal handler that could still wake it, and the
//! table has not changed for a while (no wake-up on its way), nobody can
//! ever move again. Then the main process reports who waits on what and
//! where — and for locks who holds them — ends every other process and
//! the run stops with exit code 3.
//!
//! Waiting for `run(...)`, sleeping and computing are never "stuck".
//! The report also names the processes that died abnormally (killed by a
//! signal, a broken output pipe, an uncaught error): often the reason the
//! others wait.

use super::table::{self, EntryView, State, WaitKind};
use crate::diagnostics::{ErrorKind, ErrorObj, Place, PLACE};
use crate::runtime::Host;
use crate::syntax::span::Span;
use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::diagnostics::R;

/// How long the table must stand still before a deadlock is declared.
const SETTLE: Duration = Duration::from_millis(400);
/// How often a waiting main process looks.
pub const LOOK_EVERY: Duration = Duration::from_millis(100);

thread_local! {
    /// The epoch seen at the last look, and since when it has not changed.
    static STILL: Cell<Option<(u64, Instant)>> = const { Cell::new(None) };
    static LAST_LOOK: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Called by the main process from inside its waits, every slice.
pub fn tick(interp: &mut (impl Host + ?Sized)) -> R<()> {
    // A signal that landed between two slices is news first (Ctrl-C).
    if super::signals::ANY_PENDING.load(std::sync::atomic::Ordering::Relaxed) {
        super::safe_point(interp)?;
    }
    // The main thread of the main process looks (it reports, and ends the run).
    if interp.rt.is_child || !interp.rt.started || interp.thread.index != 0 {
        return Ok(());
    }
    let now = Instant::now();
    if LAST_LOOK.get().is_some_and(|t| now.duration_since(t) < LOOK_EVERY) {
        return Ok(());
    }
    LAST_LOOK.set(Some(now));
    let epoch = table::epoch();
    let live: Vec<EntryView> =
        table::snapshot().into_iter().filter(|e| e.state != State::Exited && alive(e.pid)).collect();
    if !live.iter().all(stuck) {
        STILL.set(None);
        return Ok(());
    }
    match STILL.get() {
        Some((seen, since)) if seen == epoch => {
            if now.duration_since(since) >= SETTLE {
                STILL.set(None);
                let e = report(interp, &live);
                // Nobody can move: the end of the run joins no thread or child.
                interp.rt.interrupted = true;
                return Err(e);
            }
        }
        _ => STILL.set(Some((epoch, now))),
    }
    Ok(())
}

/// Whether a process waits for something only another process can give.
fn stuck(e: &EntryView) -> bool {
    match (&e.state, &e.wait) {
        (State::Waiting, Some(w)) => !w.timed && e.handlers == 0 && w.kind != WaitKind::Command && !w.kind.outside(),
        _ => false,
    }
}

/// Alive and not a zombie (a killed child still listed as running).
pub(crate) fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the `(comm)` field.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

/// The text of a wait's target: `b` for `b.acquire()` or `lock b { }`.
pub(crate) fn target_name(interp: &(impl Host + ?Sized), span: Span) -> Option<String> {
    interp.sources.target_name(span)
}

/// What a wait of this kind waits for, in words: `lock`, `an item from queue`.
fn noun(kind: WaitKind) -> &'static str {
    match kind {
        WaitKind::Lock => "lock",
        WaitKind::Sem => "semaphore",
        WaitKind::Event => "event",
        WaitKind::QueueGet => "an item from queue",
        WaitKind::QueuePut => "room in queue",
        WaitKind::QueueJoin => "the tasks of queue",
        WaitKind::PipeRecv => "data on pipe",
        WaitKind::PipeSend => "room in pipe",
        WaitKind::Join => "the end of",
        WaitKind::Accept => "a connection on socket",
        WaitKind::SocketRecv => "data on socket",
        WaitKind::SocketSend => "room on socket",
        WaitKind::Condition => "a notify of condition",
        WaitKind::Barrier => "the other parties of barrier",
        other => other.describe(),
    }
}

/// A wait in a function call (`connect(…)`, `input()`): no receiver to name.
fn unnamed(kind: WaitKind) -> bool {
    matches!(kind, WaitKind::Connect | WaitKind::Input)
}

/// `lock `b``: the noun and the target's name (for the trace).
pub(crate) fn what(interp: &(impl Host + ?Sized), kind: WaitKind, span: Span) -> String {
    match target_name(interp, span).filter(|_| !unnamed(kind)) {
        Some(name) => format!("{} `{name}`", noun(kind)),
        None => noun(kind).to_string(),
    }
}

/// The same as text with places (`PLACE`), for reports rendered later.
pub(crate) fn what_placed(kind: WaitKind, span: Span, places: &mut Vec<Place>) -> String {
    if unnamed(kind) {
        return noun(kind).to_string();
    }
    places.push(Place::Target { span, before: " ", or: String::new() });
    format!("{}{PLACE}", noun(kind))
}

/// What usually fixes the kinds of wait in this deadlock.
fn advice(live: &[EntryView], died: &[(String, i32, i32)]) -> String {
    let kinds: Vec<WaitKind> = live.iter().filter_map(|e| e.wait.map(|w| w.kind)).collect();
    let mut tips = Vec::new();
    if !died.is_empty() {
        tips.push("a process died before doing its part (see above), so what the others wait for never comes");
    }
    if kinds.contains(&WaitKind::Lock) {
        tips.push("take locks in the same order in every process");
    }
    if kinds.contains(&WaitKind::QueueGet) && died.is_empty() {
        tips.push("a consumer waits for an item nobody will put: end the stream with a sentinel such as nil");
    }
    if kinds.contains(&WaitKind::QueuePut) || kinds.contains(&WaitKind::PipeSend) {
        tips.push("a producer waits for room nobody will make: someone must keep consuming");
    }
    if kinds.contains(&WaitKind::Event) {
        tips.push("an event is waited for, but no process that could set it is still running");
    }
    if kinds.contains(&WaitKind::PipeRecv) {
        tips.push("close unused pipe ends so a reader gets EOFError instead of waiting");
    }
    if kinds.contains(&WaitKind::Condition) {
        tips.push("a condition is waited on, but no running process will notify it: notify after every change the waiters look for");
    }
    if kinds.contains(&WaitKind::Barrier) {
        tips.push(
            "a barrier waits for more parties than will ever arrive: barrier(n) needs n processes calling wait()",
        );
    }
    if kinds.contains(&WaitKind::QueueJoin) {
        tips.push("q.join() needs one task_done() per item taken");
    }
    if tips.is_empty() {
        tips.push("make sure every wait has a process that can end it");
    }
    tips.join("; ")
}

/// Processes of the program that ended abnormally: (name, pid, exitcode).
/// Those not yet reaped are zombies still in the table; those the main
/// process reaped are remembered in its runtime.
fn died(interp: &(impl Host + ?Sized)) -> Vec<(String, i32, i32)> {
    let mut out = interp.rt.died.clone();
    for e in table::snapshot() {
        if e.thread || e.pid == interp.process.pid || alive(e.pid) || out.iter().any(|d| d.1 == e.pid) {
            continue;
        }
        let code = zombie_exitcode(e.pid).unwrap_or(e.exitcode);
        if code != 0 {
            out.push((e.name, e.pid, code));
        }
    }
    out
}

/// The exit status of a zombie, from field 52 of /proc/PID/stat.
fn zombie_exitcode(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let status: i32 = rest.split_whitespace().nth(49)?.parse().ok()?;
    Some(if status & 0x7f != 0 { -(status & 0x7f) } else { (status >> 8) & 0xff })
}

/// How a process ended, in words.
fn how(code: i32) -> String {
    match code {
        c if c == -libc::SIGPIPE => "died of SIGPIPE: nobody reads its output any more (e.g. `| head`)".into(),
        c if c == -libc::SIGKILL => "was killed (SIGKILL)".into(),
        c if c < 0 => format!("died of {}", super::signals::name(-c)),
        1 => "ended with an uncaught error (exitcode 1)".into(),
        c => format!("ended with exitcode {c}"),
    }
}

/// The report right now: under `explore` the scheduler knows at once that
/// nobody can move (nothing needs to settle).
pub(crate) fn report_now(interp: &(impl Host + ?Sized)) -> Box<ErrorObj> {
    let live: Vec<EntryView> =
        table::snapshot().into_iter().filter(|e| e.state != State::Exited && alive(e.pid)).collect();
    report(interp, &live)
}

fn report(interp: &(impl Host + ?Sized), live: &[EntryView]) -> Box<ErrorObj> {
    let mut lines = Vec::new();
    let mut places = Vec::new();
    let mut labels = Vec::new();
    let mut main_span = None;
    let mut err_label = None;
    let died = died(interp);
    for e in live {
        let Some(w) = e.wait else { continue };
        let who = match e.thread {
            true => format!("{} (thread {} of pid {})", e.name, e.pid, e.ppid),
            false => format!("{} (pid {})", e.name, e.pid),
        };
        if w.kind == WaitKind::Finish || w.kind == WaitKind::Threads {
            lines.push(format!("{who} waits for {}", w.kind.describe()));
            continue;
        }
        let what = what_placed(w.kind, w.span, &mut places);
        places.push(Place::Line(w.span));
        let mut line = format!("{who} waits for {what} at {PLACE}");
        if w.kind == WaitKind::Lock {
            // SAFETY: a lock wait records the lock's id as its object.
            if let Some((owner, taken)) = unsafe { super::lock::holder_of(w.obj) } {
                let holder = super::lock::describe_pid(owner);
                places.push(Place::Line(taken));
                line.push_str(&format!(", held by {holder}, taken at {PLACE}"));
                labels.push((taken, format!("{holder} took it here")));
            }
        }
        if e.pid == interp.process.pid {
            main_span = Some(w.span);
            err_label = Some(format!("{who} waits here"));
        } else {
            labels.push((w.span, format!("{who} waits here")));
        }
        lines.push(line);
    }
    for (name, pid, code) in &died {
        lines.push(format!("{name} (pid {pid}) {}", how(*code)));
    }
    let mut err = ErrorObj::new(
        ErrorKind::ProgramDeadlock,
        format!("every process is waiting and none can ever be woken:\n  {}", lines.join("\n  ")),
    )
    .with_help(advice(live, &died));
    err.places = places;
    if main_span.is_none() && !labels.is_empty() {
        // The main code has ended: point at a child's wait instead.
        let (span, label) = labels.remove(0);
        main_span = Some(span);
        err_label = Some(label);
    }
    err.span = main_span;
    err.label = err_label;
    if main_span.is_some() {
        err.labels = labels;
    }
    err.process = Some(interp.process.clone());
    // Nobody can move: end every other process now so the exit is prompt.
    table::signal_all_others(libc::SIGKILL);
    err
}
