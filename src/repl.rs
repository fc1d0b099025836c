//! The interactive REPL.
//!
//! Input comes from a `LineSource`: a terminal (rustyline, with prompts and
//! history) or a pipe (plain lines, no prompts). Lines are gathered into an
//! *entry* until it is complete — no bracket or string left open, no
//! trailing binary operator or `\` — and each entry runs in the same engine,
//! so globals persist. A failing entry prints its diagnostic and the REPL
//! goes on; only `exit(n)`, `:quit` and end of input end it.
//!
//! Values are echoed through `runtime::output::write_all` on fd 1, like
//! `print`, so echoes and script output stay in order.

use crate::repl_editor::{EditorHelper, Known};
use crate::runtime::output::{eprint, write_all};
use crate::value::{repr, Value};
use crate::Engine;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

const PROMPT: &str = ">>> ";
const CONTINUE: &str = "... ";

const HELP: &str = "\
commands:
  :help [TOPIC] show this help, or the reference entry for a keyword, builtin
               or method (:help queue, :help pool.map, :help print)
  :load FILE   run FILE here; its functions and globals stay defined
  :ps          list live child processes and what each waits on
  :quit        leave the REPL (Ctrl-D also does)
An expression's value is echoed; input goes on with `... ` while a bracket is
open. Ctrl-C cancels the current entry. Tab completes names and methods.
tour: let xs = [1, 2, 3]   fn sq(n) { return n * n }   print(\"{sq(4)}\")   spawn worker(q)   lock l { }
";

use crate::repl_editor::COMMANDS;

/// Run the REPL until `:quit`, `exit(n)` or end of input; returns the exit code.
pub fn run(engine: &mut Engine) -> i32 {
    if std::io::stdin().is_terminal() {
        match Terminal::open() {
            Ok(mut terminal) => {
                let banner = format!("mpscript {} — :help for help, Ctrl-D to quit\n", env!("CARGO_PKG_VERSION"));
                let _ = write_all(1, banner.as_bytes());
                return Session::new(engine).run(&mut terminal);
            }
            Err(e) => eprint(&format!("mpscript: line editing unavailable ({e}); reading plain lines\n")),
        }
    }
    Session::new(engine).run(&mut Piped::new())
}

// ---------------------------------------------------------------- input

/// One read from a line source.
enum Read {
    Line(String),
    /// Ctrl-C at the prompt.
    Interrupted,
    Eof,
}

/// Where the REPL's lines come from.
trait LineSource {
    fn read(&mut self, prompt: &str) -> Read;
    /// How many lines have been read so far (for `<stdin:N>` names).
    fn lines_read(&self) -> usize;
    /// Whether a person is typing (prompts shown, history kept).
    fn interactive(&self) -> bool;
    /// Keep a finished entry in the history.
    fn remember(&mut self, _entry: &str) {}
    /// Whether a line may be read without waiting for the input.
    fn buffered(&self) -> bool {
        false
    }
    /// The globals defined now, for completion.
    fn set_globals(&mut self, _globals: Vec<Known>) {}
}

/// Standard input that is not a terminal: no prompts, no editing.
struct Piped {
    input: std::io::BufReader<std::io::Stdin>,
    lines: usize,
}

impl Piped {
    fn new() -> Piped {
        Piped { input: std::io::BufReader::new(std::io::stdin()), lines: 0 }
    }
}

impl LineSource for Piped {
    fn read(&mut self, _prompt: &str) -> Read {
        let mut bytes = Vec::new();
        match self.input.read_until(b'\n', &mut bytes) {
            Ok(0) | Err(_) => Read::Eof,
            Ok(_) => {
                self.lines += 1;
                while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    bytes.pop();
                }
                Read::Line(String::from_utf8_lossy(&bytes).into_owned())
            }
        }
    }

    fn lines_read(&self) -> usize {
        self.lines
    }

    fn interactive(&self) -> bool {
        false
    }

    fn buffered(&self) -> bool {
        !self.input.buffer().is_empty()
    }
}

/// A terminal: rustyline with prompts and persistent history.
struct Terminal {
    editor: Editor<EditorHelper, DefaultHistory>,
    history: Option<PathBuf>,
    lines: usize,
    /// Ctrl-D was pressed: never prompt again.
    eof: bool,
}

impl Terminal {
    fn open() -> rustyline::Result<Terminal> {
        let config = Config::builder()
            .max_history_size(1000)?
            .history_ignore_dups(true)?
            .history_ignore_space(true)
            .auto_add_history(false)
            .build();
        let mut editor = Editor::with_config(config)?;
        editor.set_helper(Some(EditorHelper::new()));
        let history = history_path();
        if let Some(path) = &history {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            // A missing or unreadable history file just means no history yet.
            let _ = editor.load_history(path);
        }
        Ok(Terminal { editor, history, lines: 0, eof: false })
    }
}

impl LineSource for Terminal {
    fn read(&mut self, prompt: &str) -> Read {
        if self.eof {
            return Read::Eof;
        }
        match self.editor.readline(prompt) {
            Ok(line) => {
                // A multi-line entry recalled from history counts all its lines.
                self.lines += 1 + line.matches('\n').count();
                Read::Line(line)
            }
            Err(ReadlineError::Interrupted) => Read::Interrupted,
            Err(ReadlineError::Eof) => {
                self.eof = true;
                Read::Eof
            }
            Err(e) => {
                eprint(&format!("mpscript: cannot read input: {e}\n"));
                self.eof = true;
                Read::Eof
            }
        }
    }

    fn lines_read(&self) -> usize {
        self.lines
    }

    fn interactive(&self) -> bool {
        true
    }

    fn set_globals(&mut self, globals: Vec<Known>) {
        if let Some(h) = self.editor.helper_mut() {
            h.globals = globals;
        }
    }

    fn remember(&mut self, entry: &str) {
        let _ = self.editor.add_history_entry(entry);
        // Saved after every entry, so a crash keeps what was typed; a
        // history that cannot be written never stops the REPL.
        if let Some(path) = &self.history {
            let _ = self.editor.append_history(path);
        }
    }
}

/// `$MPSCRIPT_HISTORY` (empty: no history), else
/// `$XDG_STATE_HOME/mpscript/history`, else `~/.local/state/mpscript/history`.
fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MPSCRIPT_HISTORY") {
        return if path.is_empty() { None } else { Some(PathBuf::from(path)) };
    }
    let state = match std::env::var_os("XDG_STATE_HOME").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        _ => PathBuf::from(std::env::var_os("HOME").filter(|h| !h.is_empty())?).join(".local/state"),
    };
    Some(state.join("mpscript").join("history"))
}

// ---------------------------------------------------------------- entries

/// What one round of reading produced.
enum Entry {
    /// Code to run, and the line number it starts on.
    Code(String, usize),
    /// A `:command` line.
    Command(String),
    /// Ctrl-C while typing.
    Cancelled,
    Eof,
}

/// How far an entry typed so far has got.
#[derive(Debug, PartialEq)]
enum Shape {
    Complete,
    /// A bracket or string is still open: keep reading.
    Open,
    /// The last line ends with a binary operator or `\`: keep reading, but a
    /// blank line runs what is there (and shows the syntax error).
    Trailing,
}

/// Scan code the way the grammar nests it: brackets, "…" strings with
/// `{…}` interpolation, '…' strings, and `#` comments.
fn shape(text: &str) -> Shape {
    #[derive(Clone, Copy, PartialEq)]
    enum Nest {
        Bracket,
        Interp,
        Str,
        Raw,
    }
    let mut stack: Vec<Nest> = Vec::new();
    // The code of the current line, without comments; strings as `s`.
    let mut tail = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match stack.last().copied() {
            Some(Nest::Str) => match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    stack.pop();
                    tail.push('s');
                }
                '{' => stack.push(Nest::Interp),
                _ => {}
            },
            Some(Nest::Raw) => match c {
                '\\' => {
                    chars.next();
                }
                '\'' => {
                    stack.pop();
                    tail.push('s');
                }
                _ => {}
            },
            top => match c {
                '#' => {
                    // Skip to the end of the line, keeping the newline.
                    if chars.by_ref().any(|c| c == '\n') {
                        tail.clear();
                    }
                }
                '\n' => tail.clear(),
                '"' => stack.push(Nest::Str),
                '\'' => stack.push(Nest::Raw),
                '(' | '[' | '{' => {
                    stack.push(Nest::Bracket);
                    tail.push(c);
                }
                ')' | ']' | '}' => {
                    // An unmatched closer is left for the parser to report.
                    if top.is_some() {
                        stack.pop();
                    }
                    tail.push(c);
                }
                _ => tail.push(c),
            },
        }
    }
    if !stack.is_empty() {
        return Shape::Open;
    }
    let tail = tail.trim_end();
    let last_word = tail.rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap_or("");
    let ends_with_op = tail.ends_with(['\\', '+', '-', '*', '/', '%', '=', '<', '>', '.']);
    if ends_with_op || matches!(last_word, "and" | "or" | "not" | "in") {
        Shape::Trailing
    } else {
        Shape::Complete
    }
}

/// Whether `line` begins with one of `words` as a whole word.
fn starts_with_word(line: &str, words: &[&str]) -> bool {
    let line = line.trim_start();
    words.iter().any(|w| {
        line.strip_prefix(w).is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
    })
}

// ---------------------------------------------------------------- session

struct Session<'e> {
    engine: &'e mut Engine,
    /// A line read ahead (to see whether an `else` followed) and its number.
    pending: Option<(String, usize)>,
}

impl<'e> Session<'e> {
    fn new(engine: &'e mut Engine) -> Session<'e> {
        Session { engine, pending: None }
    }

    fn run(&mut self, src: &mut dyn LineSource) -> i32 {
        loop {
            let done = match self.read_entry(src) {
                // rustyline has already moved past the prompt line.
                Entry::Eof => return 0,
                Entry::Cancelled => None,
                Entry::Command(line) => {
                    src.remember(&line);
                    self.command(&line)
                }
                Entry::Code(text, line) => {
                    src.remember(&text);
                    self.eval(&format!("<stdin:{line}>"), &text)
                }
            };
            if let Some(code) = done {
                return code;
            }
        }
    }

    /// Every global with a value, for completion.
    fn known_globals(&mut self) -> Vec<Known> {
        let interp = self.engine.interp();
        let names = interp.global_names.slot_names();
        names
            .iter()
            .zip(interp.globals.iter())
            .filter_map(|(n, v)| {
                Some(Known { name: n.as_deref()?.to_string(), kind: crate::value::type_name(v.as_ref()?) })
            })
            .collect()
    }

    /// Read lines until they make a whole entry.
    fn read_entry(&mut self, src: &mut dyn LineSource) -> Entry {
        if src.interactive() {
            src.set_globals(self.known_globals());
        }
        let (mut text, start) = loop {
            if let Some(pending) = self.pending.take() {
                break pending;
            }
            let start = src.lines_read() + 1;
            if !src.interactive() && !src.buffered() {
                // The script's threads run while the REPL waits for input.
                crate::runtime::thread::await_input(self.engine.interp());
            }
            match src.read(PROMPT) {
                Read::Line(line) if line.trim().is_empty() => continue,
                Read::Line(line) => break (line, start),
                Read::Interrupted => continue,
                Read::Eof => return Entry::Eof,
            }
        };
        if text.trim_start().starts_with(':') {
            return Entry::Command(text);
        }
        loop {
            let shape = shape(&text);
            if shape == Shape::Complete && !self.may_continue(&text, src) {
                return Entry::Code(text, start);
            }
            let number = src.lines_read() + 1;
            let line = match src.read(CONTINUE) {
                Read::Line(line) => line,
                Read::Interrupted => return Entry::Cancelled,
                // Piped input runs what it has, to report what is missing.
                Read::Eof if !src.interactive() || shape == Shape::Complete => return Entry::Code(text, start),
                Read::Eof => return Entry::Eof,
            };
            let blank = line.trim().is_empty();
            match shape {
                Shape::Open => {}
                Shape::Trailing if blank => return Entry::Code(text, start),
                Shape::Trailing => {}
                Shape::Complete if starts_with_word(&line, &["else", "catch", "finally"]) => {}
                Shape::Complete => {
                    if !blank {
                        self.pending = Some((line, number));
                    }
                    return Entry::Code(text, start);
                }
            }
            text.push('\n');
            text.push_str(&line);
        }
    }

    /// A complete `if` or `try` may still get an `else`, `catch` or
    /// `finally` on the next line. At a terminal only a multi-line one waits
    /// (a blank line runs it); a pipe can always look one line ahead.
    fn may_continue(&self, text: &str, src: &dyn LineSource) -> bool {
        let last = text.lines().last().unwrap_or("").trim_end();
        let waits_here = !src.interactive() || text.contains('\n');
        waits_here && last.ends_with('}') && starts_with_word(text, &["if", "try"])
    }

    /// Run one entry; `Some(code)` when the REPL must end.
    fn eval(&mut self, name: &str, code: &str) -> Option<i32> {
        let result = self.eval_entry(name, code);
        // A child made by `fork()` at the prompt ends with its entry; only
        // the original process goes on reading input.
        if self.engine.is_forked_child() {
            self.engine.exit(result.unwrap_or(0));
        }
        result
    }

    fn eval_entry(&mut self, name: &str, code: &str) -> Option<i32> {
        let result = self.engine.eval_named(name, code);
        // A Ctrl-C ends the entry, not the session: children still running
        // are joined at the end as usual, not terminated.
        self.engine.interp().rt.interrupted = false;
        match result {
            Ok(Value::Nil) => None,
            Ok(value) => {
                let line = repr(&value) + "\n";
                match write_all(1, line.as_bytes()) {
                    Ok(()) => None,
                    // Nobody reads our output any more (`… | head`): stop quietly.
                    Err(_) => Some(0),
                }
            }
            Err(e) => self.report(e),
        }
    }

    /// Show an error; `Some(code)` when it was `exit(n)`.
    fn report(&mut self, e: crate::Error) -> Option<i32> {
        if e.kind == crate::ErrorKind::SystemExit {
            return Some(e.exit_code.clamp(0, 255));
        }
        if e.rendered.is_empty() {
            eprint(&format!("{e}\n"));
        } else {
            eprint(&e.rendered);
        }
        None
    }

    /// A `:command` line; `Some(code)` when the REPL must end.
    fn command(&mut self, line: &str) -> Option<i32> {
        let body = line.trim().strip_prefix(':').unwrap_or("").trim_start();
        let (name, arg) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
        let matches: Vec<&str> = COMMANDS.iter().copied().filter(|c| !name.is_empty() && c.starts_with(name)).collect();
        let found = match matches.as_slice() {
            [one] => *one,
            _ if name == "?" => "help",
            _ => {
                let known = "commands: :help, :load FILE, :ps, :quit";
                eprint(&format!("unknown command `:{name}` ({known}; :help tells more)\n"));
                return None;
            }
        };
        match found {
            "help" if arg.trim().is_empty() => {
                let text = format!("{HELP}{}\n", crate::help::WHERE);
                let _ = write_all(1, text.as_bytes());
                None
            }
            "help" => {
                match crate::help::text_for(arg) {
                    (text, true) => {
                        let _ = write_all(1, text.as_bytes());
                    }
                    (text, false) => eprint(&text),
                }
                None
            }
            "load" => self.load(arg.trim()),
            "ps" => {
                let interp = self.engine.interp();
                let (text, places) = crate::runtime::ps_report(interp);
                let _ = write_all(1, crate::diagnostics::fill(&text, &places, &interp.sources).as_bytes());
                None
            }
            _ => Some(0),
        }
    }

    /// `:load FILE`: run a file's code among the REPL's globals.
    fn load(&mut self, arg: &str) -> Option<i32> {
        let arg = arg.strip_prefix('"').and_then(|a| a.strip_suffix('"')).unwrap_or(arg);
        let arg = arg.strip_prefix('\'').and_then(|a| a.strip_suffix('\'')).unwrap_or(arg);
        if arg.is_empty() {
            eprint("usage: :load FILE\n");
            return None;
        }
        let path = match (arg.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
            _ => PathBuf::from(arg),
        };
        match self.engine.run_file(&path) {
            Ok(()) => None,
            Err(e) => self.report(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{shape, starts_with_word, Shape};

    #[test]
    fn shapes() {
        assert_eq!(shape("1 + 2"), Shape::Complete);
        assert_eq!(shape("fn f(x) {"), Shape::Open);
        assert_eq!(shape("fn f(x) {\n  return x\n}"), Shape::Complete);
        assert_eq!(shape("print(\"(\")"), Shape::Complete);
        assert_eq!(shape("print('[')"), Shape::Complete);
        assert_eq!(shape("let s = \"a {d[\"k\"]} b\""), Shape::Complete);
        assert_eq!(shape("let s = \"{f(\""), Shape::Open);
        assert_eq!(shape("let s = \"open"), Shape::Open);
        assert_eq!(shape("f(1, # )\n"), Shape::Open);
        assert_eq!(shape("1 +"), Shape::Trailing);
        assert_eq!(shape("x = a and"), Shape::Trailing);
        assert_eq!(shape("x = 1 \\"), Shape::Trailing);
        assert_eq!(shape("x = band"), Shape::Complete);
        assert_eq!(shape("x = 1 # trailing +"), Shape::Complete);
        assert_eq!(shape("x = \"+\""), Shape::Complete);
        assert_eq!(shape(")"), Shape::Complete);
    }

    #[test]
    fn words() {
        assert!(starts_with_word("  else {", &["else"]));
        assert!(starts_with_word("catch e {", &["catch"]));
        assert!(!starts_with_word("elsewhere()", &["else"]));
    }
}
