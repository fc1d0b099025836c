//! Errors: the one type every failure becomes (`ErrorObj`), the unwinding
//! signal the evaluator propagates (`Flow`), and rendering as a miette
//! diagnostic with the source line and the process that raised it.

use crate::syntax::span::{SourceMap, Span};
use crate::syntax::SyntaxError;
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};
use std::fmt;
use std::io::IsTerminal;
use std::rc::Rc;

/// Which process raised an error.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProcessLabel {
    pub name: String,
    pub pid: i32,
}

/// What kind of error: one variant per kind the interpreter raises, and
/// `User` for a script's own `error("MyKind", …)` or `throw "msg"` (kind
/// `Error`). Behaviour (exit codes, what `catch` stops) depends on the
/// variant only, so a script's `error("Deadlock", …)` is a plain error that
/// merely prints as `Deadlock`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ErrorKind {
    SyntaxError,
    NameError,
    AttributeError,
    TypeError,
    ValueError,
    IndexError,
    KeyError,
    ZeroDivisionError,
    OverflowError,
    AssertionError,
    IOError,
    EOFError,
    Empty,
    Full,
    TimeoutError,
    LockAbandoned,
    ProcessError,
    /// A lock taken twice by its holder (catchable; exit code 3 uncaught).
    Deadlock,
    /// Every process waits and none can be woken: found by the main
    /// process's detection, ends the program (exit code 3). Named `Deadlock`.
    ProgramDeadlock,
    KeyboardInterrupt,
    /// SIGTERM/SIGHUP in the main process (exit code 128 + the signal's
    /// number: 143, 129).
    Terminated,
    SystemExit,
    MemoryError,
    RecursionError,
    BrokenPipeError,
    NotImplementedError,
    /// `bytes.decode()` of bytes that are not valid UTF-8.
    UnicodeDecodeError,
    /// Socket errors; each message names the address.
    ConnectionRefusedError,
    ConnectionResetError,
    AddressInUseError,
    /// Any other OS-level socket failure (a host that does not resolve).
    OSError,
    /// A remote server (Redis) that cannot be reached or was lost.
    ConnectionError,
    /// A remote server refused the authkey.
    AuthenticationError,
    /// Python's RuntimeError: an rlock or condition used without holding it.
    RuntimeError,
    /// A barrier was reset, aborted, timed out, or a party died waiting.
    BrokenBarrierError,
    /// An iterator's `next()` after its last item.
    StopIteration,
    User(Rc<str>),
}

impl ErrorKind {
    /// A script's own kind.
    pub fn user(name: &str) -> ErrorKind {
        ErrorKind::User(name.into())
    }

    /// The kind's text: what diagnostics print and `e.kind` gives.
    pub fn name(&self) -> &str {
        use ErrorKind::*;
        match self {
            SyntaxError => "SyntaxError",
            NameError => "NameError",
            AttributeError => "AttributeError",
            TypeError => "TypeError",
            ValueError => "ValueError",
            IndexError => "IndexError",
            KeyError => "KeyError",
            ZeroDivisionError => "ZeroDivisionError",
            OverflowError => "OverflowError",
            AssertionError => "AssertionError",
            IOError => "IOError",
            EOFError => "EOFError",
            Empty => "Empty",
            Full => "Full",
            TimeoutError => "TimeoutError",
            LockAbandoned => "LockAbandoned",
            ProcessError => "ProcessError",
            Deadlock | ProgramDeadlock => "Deadlock",
            KeyboardInterrupt => "KeyboardInterrupt",
            Terminated => "Terminated",
            SystemExit => "SystemExit",
            MemoryError => "MemoryError",
            RecursionError => "RecursionError",
            BrokenPipeError => "BrokenPipeError",
            NotImplementedError => "NotImplementedError",
            UnicodeDecodeError => "UnicodeDecodeError",
            ConnectionRefusedError => "ConnectionRefusedError",
            ConnectionResetError => "ConnectionResetError",
            AddressInUseError => "AddressInUseError",
            OSError => "OSError",
            ConnectionError => "ConnectionError",
            AuthenticationError => "AuthenticationError",
            RuntimeError => "RuntimeError",
            BrokenBarrierError => "BrokenBarrierError",
            StopIteration => "StopIteration",
            User(name) => name,
        }
    }
}

impl Default for ErrorKind {
    fn default() -> ErrorKind {
        ErrorKind::user("Error")
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A place a message names, kept as data until the message is shown: the
/// runtime records spans, and only code holding the source map (`render`,
/// `Ctx::own`, the REPL's `:ps`) turns them into text, with `fill`. Each
/// `PLACE` mark in the text stands for the next place, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// `file:line:col` of the span.
    Line(Span),
    /// The receiver written at a call's span in backticks (`b` of
    /// `b.acquire()`), after `before`; `or` when it is not a simple name.
    Target { span: Span, before: &'static str, or: String },
}

/// Where a `Place` goes in a text.
pub const PLACE: char = '\u{1}';

/// `text` with each `PLACE` mark replaced by its place, rendered.
pub fn fill(text: &str, places: &[Place], sources: &SourceMap) -> String {
    let mut places = places.iter();
    let mut out = String::with_capacity(text.len() + 32);
    for (i, part) in text.split(PLACE).enumerate() {
        if i > 0 {
            match places.next() {
                Some(Place::Line(span)) => out.push_str(&sources.location(*span)),
                Some(Place::Target { span, before, or }) => match sources.target_name(*span) {
                    Some(name) => out.push_str(&format!("{before}`{name}`")),
                    None => out.push_str(or),
                },
                None => out.push(PLACE),
            }
        }
        out.push_str(part);
    }
    out
}

/// An error: raised by the runtime, by a builtin, or thrown by the script.
/// The same object is the script's `error` value when caught.
#[derive(Clone, Debug, Default)]
pub struct ErrorObj {
    pub kind: ErrorKind,
    pub message: String,
    /// Where it was raised; filled in by the evaluator if a builtin raised it.
    pub span: Option<Span>,
    /// Further labelled places (e.g. where a lock was first taken).
    pub labels: Vec<(Span, String)>,
    pub help: Option<String>,
    pub process: Option<ProcessLabel>,
    /// Call sites the error passed through, innermost first.
    pub trace: Vec<(Rc<str>, Span)>,
    /// A diagnostic from another process this one re-raises (pool tasks).
    pub cause: Option<String>,
    /// Set for `exit(code)` while it travels through a builtin (a callback
    /// called `exit`): the evaluator turns it back into `Flow::Exit`.
    pub exit: Option<i32>,
    /// The text under the primary caret, when the kind alone says too little.
    pub label: Option<String>,
    /// The signal that ended the main process (`Terminated`): exit code
    /// 128 + its number, as a shell reports a process killed by it.
    pub signal: Option<i32>,
    /// The places the message names (see `Place`), until `settle` renders
    /// them into it.
    pub places: Vec<Place>,
}

impl ErrorObj {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Box<ErrorObj> {
        Box::new(ErrorObj { kind, message: message.into(), ..Default::default() })
    }

    /// Render the places the message names into it, for good: done when
    /// the error is shown, caught as a script value or leaves this process.
    pub fn settle(&mut self, sources: &SourceMap) {
        if !self.places.is_empty() {
            self.message = fill(&self.message, &std::mem::take(&mut self.places), sources);
        }
    }

    /// The exit code of a process this error ends, uncaught (the main
    /// program or a child): 3 for a deadlock the runtime found, 1 for any
    /// other error (Ctrl-C and SIGTERM are chosen by the caller).
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Deadlock | ErrorKind::ProgramDeadlock | ErrorKind::KeyboardInterrupt => 3,
            _ => 1,
        }
    }

    pub fn with_help(mut self: Box<Self>, help: impl Into<String>) -> Box<ErrorObj> {
        self.help = Some(help.into());
        self
    }

    pub fn at(mut self: Box<Self>, span: Span) -> Box<ErrorObj> {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }

    /// Errors no `catch` can stop: Ctrl-C, SIGTERM/SIGHUP to main, and a
    /// deadlock report (the other processes are already gone).
    pub fn ends_program(&self) -> bool {
        matches!(self.kind, ErrorKind::KeyboardInterrupt | ErrorKind::Terminated | ErrorKind::ProgramDeadlock)
    }
}

/// The result of anything that can fail with a script-visible error.
pub(crate) type R<T> = Result<T, Box<ErrorObj>>;

/// Why evaluation stopped going forward.
#[derive(Debug)]
pub enum Flow {
    Error(Box<ErrorObj>),
    /// `exit(code)`: unwinds through `finally` blocks, never caught.
    Exit(i32),
    /// `return`; the value waits in `Interp::ret` (keeps `Flow` small).
    Return,
    Break,
    Continue,
}

impl From<Box<ErrorObj>> for Flow {
    fn from(e: Box<ErrorObj>) -> Flow {
        Flow::Error(e)
    }
}

pub fn syntax_error(e: SyntaxError) -> Box<ErrorObj> {
    let mut err = ErrorObj::new(ErrorKind::SyntaxError, e.message);
    err.span = Some(e.span);
    err.help = e.help;
    err.labels = e.labels;
    err
}

/// A rendered diagnostic for miette: message, labels, help, one source.
struct Report<'a> {
    err: &'a ErrorObj,
    source: Option<Shown>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.err.kind, self.err.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.err.kind, self.err.message)
    }
}

impl std::error::Error for Report<'_> {}

impl Diagnostic for Report<'_> {
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
}

/// `span` as an `(offset, length)` that fits `text`: inside it and on
/// character boundaries. A span from another version of a text (or a
/// mistake upstream) must not crash the renderer: it is clamped instead.
fn fit(text: &str, span: Span) -> (usize, usize) {
    let (start, end) = (span.start as usize, span.end as usize);
    let mut start = start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    (start, end - start)
}

/// A secondary label marks the first line of its span only (a call with a
/// block argument, a `lock` statement): a span over many lines would have
/// every line in between shown.
fn label(text: &str, span: Span, label: Option<String>) -> LabeledSpan {
    let (at, len) = fit(text, span);
    let len = text[at..at + len].find('\n').unwrap_or(len);
    LabeledSpan::new(label, at, len)
}

/// Whether diagnostics on stderr may use colour.
fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// Render an error the way the user sees it on stderr.
pub fn render(err: &ErrorObj, sources: &SourceMap) -> String {
    let settled;
    let err = match err.places.is_empty() {
        true => err,
        false => {
            let mut e = err.clone();
            e.settle(sources);
            settled = e;
            &settled
        }
    };
    let mut notes: Vec<String> = Vec::new();
    let primary = err.span.and_then(|s| sources.get(s.src).map(|src| (s, src)));
    let (source, mut labels) = match primary {
        Some((span, src)) => {
            // miette draws no label at the very end of a text without a
            // final newline (`-e 'print(1'`): give it one to point at.
            let mut text = src.text.to_string();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            let named = src.name.clone();
            // Primary, so the `file:line:col` header names the error's own
            // place even when another label comes earlier in the file.
            let at = fit(&text, span);
            let primary = LabeledSpan::new_primary_with_span(Some(short_label(err)), at);
            (Some((named, text)), vec![primary])
        }
        None => (None, vec![]),
    };
    let text = source.as_ref().map_or(String::new(), |(_, t)| t.clone());
    let source = source.map(|(named, _)| named);
    let primary_src = err.span.map(|s| s.src);
    for (span, note) in &err.labels {
        if Some(span.src) == primary_src {
            labels.push(label(&text, *span, Some(note.clone())));
        } else {
            notes.push(format!("{note} at {}", sources.location(*span)));
        }
    }
    // The call chain, innermost first; a recursion shows once with a count.
    let mut shown = 0;
    let mut i = 0;
    while i < err.trace.len() && shown < 4 {
        let (name, span) = &err.trace[i];
        let mut same = 1;
        while i + same < err.trace.len() && err.trace[i + same].1 == *span {
            same += 1;
        }
        i += same;
        if Some(*span) == err.span {
            continue;
        }
        shown += 1;
        let times = if same > 1 { format!(" ({same} times)") } else { String::new() };
        if Some(span.src) == primary_src && !labels.iter().any(|l| l.offset() == span.start as usize) {
            labels.push(label(&text, *span, Some(format!("in call to {name}(){times}"))));
        } else {
            notes.push(format!("called from {}{times}", sources.location(*span)));
        }
    }
    let mut help = err.help.clone();
    if !notes.is_empty() {
        let joined = notes.join("\n");
        help = Some(match help {
            Some(h) => format!("{h}\n{joined}"),
            None => joined,
        });
    }
    let source = source.map(|name| Shown::clip(name, &text, &mut labels));
    let report = Report { err, source, labels, help };
    let theme = if use_color() { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_context_lines(1);
    let mut out = match render_guarded(&handler, &report) {
        Some(text) => text,
        None => plain(err, sources),
    };
    if let Some(p) = &err.process {
        out.push_str(&format!("  in process {} (pid {})\n", p.name, p.pid));
    }
    if let Some(cause) = &err.cause {
        out.push_str("  caused by:\n");
        for line in cause.lines() {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Lines longer than this (in bytes) are shown clipped: a window around
/// their labels, with `…` where text was left out.
const LONG_LINE: usize = 160;
/// How much of a clipped line is shown on each side of its labels.
const CLIP_CONTEXT: usize = 60;
const ELLIPSIS: &str = "…";

/// The source as shown: its long lines clipped. Line numbers stay those of
/// the file (no line is removed), and the `file:line:col` header gives the
/// column in the file, not in the clipped line.
struct Shown {
    name: String,
    text: String,
    /// Per clipped line (0-based): how many bytes were cut before its
    /// window, less the `…` put there.
    shifts: Vec<(usize, usize)>,
}

impl Shown {
    /// Clip `text`'s long lines and move `labels` (offsets into `text`) to
    /// the clipped text. A label's line keeps a window around it; a long
    /// line shown only as context keeps its start.
    fn clip(name: String, text: &str, labels: &mut [LabeledSpan]) -> Shown {
        // (start, end) of each cut; each becomes `…`.
        let mut cuts: Vec<(usize, usize)> = Vec::new();
        let mut shifts = Vec::new();
        let mut line_start = 0;
        for (line_no, line) in text.split_inclusive('\n').enumerate() {
            let body = line.trim_end_matches(['\n', '\r']);
            let line_end = line_start + body.len();
            if body.len() > LONG_LINE {
                let on_line: Vec<&LabeledSpan> =
                    labels.iter().filter(|l| (line_start..=line_end).contains(&l.offset())).collect();
                // Around the primary label (or the first), with the others
                // close enough to it; one further away points at a `…`.
                let anchor = on_line.iter().find(|l| l.primary()).or(on_line.first());
                let (lo, hi) = match anchor {
                    Some(a) => {
                        let near = |l: &&&LabeledSpan| l.offset().abs_diff(a.offset()) <= LONG_LINE / 2;
                        let first = on_line.iter().filter(near).map(|l| l.offset()).min().unwrap_or(a.offset());
                        let last = on_line.iter().filter(near).map(|l| (l.offset() + l.len()).min(line_end)).max();
                        let last = last.unwrap_or(a.offset()).min(a.offset() + LONG_LINE / 2);
                        (first.saturating_sub(CLIP_CONTEXT).max(line_start), (last + CLIP_CONTEXT).min(line_end))
                    }
                    None => (line_start, line_start + LONG_LINE / 2),
                };
                let lo = floor_boundary(text, lo);
                let hi = ceil_boundary(text, hi);
                // A cut shorter than its `…` is not worth making.
                if lo > line_start + ELLIPSIS.len() {
                    cuts.push((line_start, lo));
                    shifts.push((line_no, lo - line_start - ELLIPSIS.len()));
                }
                if line_end > hi + ELLIPSIS.len() {
                    cuts.push((hi, line_end));
                }
            }
            line_start += line.len();
        }
        if cuts.is_empty() {
            return Shown { name, text: text.to_string(), shifts };
        }
        let mut shown = String::with_capacity(text.len().min(64 * 1024));
        let mut at = 0;
        for &(a, b) in &cuts {
            shown.push_str(&text[at..a]);
            shown.push_str(ELLIPSIS);
            at = b;
        }
        shown.push_str(&text[at..]);
        // Where an offset into `text` lands in `shown`.
        let e = ELLIPSIS.len() as isize;
        let moved = |o: usize| {
            let mut delta: isize = 0;
            for &(a, b) in &cuts {
                if o >= b {
                    delta += (b - a) as isize - e;
                } else if o > a {
                    // Inside a cut: at its `…`.
                    return (a as isize - delta) as usize;
                } else {
                    break;
                }
            }
            (o as isize - delta) as usize
        };
        for l in labels.iter_mut() {
            let start = moved(l.offset());
            let end = moved(l.offset() + l.len()).max(start);
            let span = (start, end - start);
            *l = match l.primary() {
                true => LabeledSpan::new_primary_with_span(l.label().map(String::from), span),
                false => LabeledSpan::new_with_span(l.label().map(String::from), span),
            };
        }
        Shown { name, text: shown, shifts }
    }
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

impl SourceCode for Shown {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let c = self.text.read_span(span, before, after)?;
        let (line, mut column) = (c.line(), c.column());
        if before == 0 {
            column += self.shifts.iter().find(|&&(l, _)| l == line).map_or(0, |&(_, s)| s);
        }
        let (off, len) = (c.span().offset(), c.span().len());
        let data = &self.text.as_bytes()[off..off + len];
        let (span, lines) = (*c.span(), c.line_count());
        Ok(Box::new(MietteSpanContents::new_named(self.name.clone(), data, span, line, column, lines)))
    }
}

/// miette's rendering, or `None` if it failed or panicked: a diagnostic
/// must never crash the program that shows it. The panic message is kept
/// off stderr while rendering (the fallback says what matters).
fn render_guarded(handler: &GraphicalReportHandler, report: &Report) -> Option<String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut out = String::new();
        handler.render_report(&mut out, report).ok().map(|_| out)
    }));
    std::panic::set_hook(hook);
    result.ok().flatten()
}

/// The plain-text rendering, when the graphical one failed.
fn plain(err: &ErrorObj, sources: &SourceMap) -> String {
    let mut out = format!("  × {}: {}\n", err.kind, err.message);
    if let Some(span) = err.span {
        out.push_str(&format!("   at {}\n", sources.location(span)));
    }
    if let Some(help) = &err.help {
        out.push_str(&format!("  help: {help}\n"));
    }
    out
}

/// The text under the primary caret.
fn short_label(err: &ErrorObj) -> String {
    if let Some(l) = &err.label {
        return l.clone();
    }
    match err.kind {
        ErrorKind::SyntaxError => "here".into(),
        ErrorKind::NameError => "not defined".into(),
        _ => err.kind.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::span::SourceId;

    /// A span that does not fit its source (past its end, inside a
    /// character, backwards) still renders, pointing at what is there.
    #[test]
    fn spans_that_do_not_fit_their_source_render() {
        let mut sources = SourceMap::default();
        let id = sources.add("x.mps", "print(\"é中\")\nlet y = (\n");
        for (start, end) in [(8, 9), (9, 12), (40, 90), (12, 3), (0, u32::MAX), (u32::MAX, u32::MAX)] {
            let mut err = *ErrorObj::new(ErrorKind::SyntaxError, "bad");
            err.span = Some(Span { src: id, start, end });
            err.labels.push((Span { src: id, start: end, end: start }, "other".into()));
            err.trace.push(("f".into(), Span { src: id, start: 7, end: 10_000 }));
            let text = render(&err, &sources);
            assert!(text.contains("SyntaxError: bad"), "{start}..{end}: {text}");
        }
    }

    #[test]
    fn fit_clamps_to_length_and_char_boundaries() {
        let text = "aé中b";
        let span = |start, end| Span { src: SourceId(0), start, end };
        assert_eq!(fit(text, span(2, 3)), (1, 2));
        assert_eq!(fit(text, span(3, 4)), (3, 3));
        assert_eq!(fit(text, span(50, 60)), (7, 0));
        assert_eq!(fit(text, span(5, 1)), (3, 0));
    }
}
