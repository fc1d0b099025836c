//! The REPL's line editor helper: tab completion and syntax highlighting
//! (rustyline's `Helper` traits).
//!
//! Completion offers `:commands` at the start of a line, reference topics
//! after `:help`, file names after `:load`, methods and fields after `.`
//! (of the receiver's kind when it is a global whose value is known, taken
//! from the reference's `kind.method` entries), else keywords and the
//! globals in scope (builtins included). Highlighting colours keywords,
//! strings, numbers and comments, and the bracket matching the one at the
//! cursor; `NO_COLOR` turns it off.

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use std::borrow::Cow;

/// Every keyword of the language, as `grammar/mpscript.pest` has them (a
/// test keeps the two in step).
pub const KEYWORDS: &[&str] = &[
    "let", "fn", "return", "if", "else", "while", "for", "in", "break", "continue", "true", "false", "nil", "and",
    "or", "not", "try", "catch", "finally", "throw", "spawn", "thread", "daemon", "lock", "sem", "event", "queue",
    "pipe", "pool", "shared",
];

/// The REPL's `:commands`.
pub const COMMANDS: &[&str] = &["help", "load", "ps", "quit"];

/// Fields (not methods): completed without a `(`.
const FIELDS: &[&str] = &["pid", "name", "daemon", "exitcode", "maxsize", "size", "pids", "value", "kind", "message"];

/// A global the completer knows: its name and the kind of its value.
#[derive(Clone, Debug)]
pub struct Known {
    pub name: String,
    /// `type(x)` of its value (`"queue"`, `"fn"`, `"pipe end"`…).
    pub kind: &'static str,
}

pub struct EditorHelper {
    pub globals: Vec<Known>,
    files: FilenameCompleter,
    color: bool,
}

impl EditorHelper {
    pub fn new() -> EditorHelper {
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        EditorHelper { globals: Vec::new(), files: FilenameCompleter::new(), color }
    }
}

/// The reference's kind for a value's type name.
fn reference_kind(type_name: &str) -> &str {
    match type_name {
        "pipe end" => "pipe",
        "async result" => "result",
        other => other,
    }
}

/// Methods and fields of a kind, from the reference (`queue` → `get`,
/// `put`…); every kind's for `None`.
pub fn members(kind: Option<&str>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for e in crate::help::entries() {
        for n in e.names() {
            if let Some((k, m)) = n.split_once('.') {
                if kind.is_none_or(|want| want == k) && !out.contains(&m) {
                    out.push(m);
                }
            }
        }
    }
    if matches!(kind, None | Some("error")) {
        out.extend(["kind", "message"]);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Complete `line` up to `pos`: where the word starts and the candidates.
pub fn complete(globals: &[Known], line: &str, pos: usize) -> (usize, Vec<Pair>) {
    let before = &line[..pos];
    let pair = |text: &str, suffix: &str| Pair { display: text.to_string(), replacement: format!("{text}{suffix}") };
    let trimmed = before.trim_start();
    if let Some(cmd) = trimmed.strip_prefix(':') {
        let start = pos - cmd.len();
        if !cmd.contains(char::is_whitespace) {
            let found = COMMANDS.iter().filter(|c| c.starts_with(cmd)).map(|c| pair(c, " ")).collect();
            return (start, found);
        }
        if let Some(topic) = cmd.strip_prefix("help").map(str::trim_start) {
            let start = pos - topic.len();
            let mut names: Vec<&str> =
                crate::help::entries().iter().flat_map(|e| e.names().collect::<Vec<_>>()).collect();
            names.retain(|n| n.starts_with(topic) && !n.contains(' '));
            names.dedup();
            return (start, names.into_iter().map(|n| pair(n, "")).collect());
        }
        return (pos, Vec::new());
    }
    // Inside a string: nothing to complete.
    if before.matches('"').count() % 2 == 1 {
        return (pos, Vec::new());
    }
    let word_len = before.chars().rev().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').count();
    let start = pos - word_len;
    let word = &before[start..];
    if let Some(receiver_end) = before[..start].strip_suffix('.').map(str::len) {
        let receiver_len =
            before[..receiver_end].chars().rev().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').count();
        let receiver = &before[receiver_end - receiver_len..receiver_end];
        let kind = globals.iter().find(|k| k.name == receiver).map(|k| reference_kind(k.kind));
        let mut found = members(kind);
        if found.is_empty() {
            found = members(None);
        }
        let cands = found
            .into_iter()
            .filter(|m| m.starts_with(word))
            .map(|m| pair(m, if FIELDS.contains(&m) { "" } else { "(" }));
        return (start, cands.collect());
    }
    if word.is_empty() {
        return (pos, Vec::new());
    }
    let mut cands: Vec<Pair> = KEYWORDS.iter().filter(|k| k.starts_with(word)).map(|k| pair(k, "")).collect();
    let mut names: Vec<&Known> =
        globals.iter().filter(|k| k.name.starts_with(word) && !k.name.starts_with('_')).collect();
    names.sort_by(|a, b| a.name.cmp(&b.name));
    for k in names {
        if !cands.iter().any(|c| c.display == k.name) {
            cands.push(pair(&k.name, if k.kind == "fn" { "(" } else { "" }));
        }
    }
    (start, cands)
}

impl Completer for EditorHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        if line[..pos].trim_start().starts_with(":load ") {
            return self.files.complete(line, pos, ctx);
        }
        Ok(complete(&self.globals, line, pos))
    }
}

const KEYWORD: &str = "\x1b[1;35m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const COMMENT: &str = "\x1b[90m";
const MATCH: &str = "\x1b[1;4m";
const RESET: &str = "\x1b[0m";

/// The colour of each byte range of `line`: keywords, strings, numbers,
/// comments. Ranges are in order and do not overlap.
pub fn spans(line: &str) -> Vec<(usize, usize, &'static str)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'#' {
            out.push((i, bytes.len(), COMMENT));
            break;
        }
        if c == b'"' || c == b'\'' {
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i] != c {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(bytes.len());
            out.push((start, i, STRING));
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.') {
                // `0..3`: the range operator is not part of the number.
                if bytes[i] == b'.' && bytes.get(i + 1) == Some(&b'.') {
                    break;
                }
                i += 1;
            }
            out.push((start, i, NUMBER));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let after_dot = start > 0 && bytes[start - 1] == b'.';
            if !after_dot && KEYWORDS.contains(&&line[start..i]) {
                out.push((start, i, KEYWORD));
            }
            continue;
        }
        i += 1;
    }
    out
}

/// The position of the bracket matching the one just before `pos` (or at
/// it), skipping strings and comments.
pub fn matching_bracket(line: &str, pos: usize) -> Option<usize> {
    let bytes = line.as_bytes();
    let in_code =
        |i: usize| !spans(line).iter().any(|(s, e, c)| *c != KEYWORD && *c != NUMBER && (*s..*e).contains(&i));
    let at = [pos.checked_sub(1), Some(pos)]
        .into_iter()
        .flatten()
        .find(|&i| i < bytes.len() && b"()[]{}".contains(&bytes[i]) && in_code(i))?;
    let (open, close, forward) = match bytes[at] {
        b'(' => (b'(', b')', true),
        b'[' => (b'[', b']', true),
        b'{' => (b'{', b'}', true),
        b')' => (b'(', b')', false),
        b']' => (b'[', b']', false),
        _ => (b'{', b'}', false),
    };
    let mut depth = 0i32;
    let range: Box<dyn Iterator<Item = usize>> =
        if forward { Box::new(at..bytes.len()) } else { Box::new((0..=at).rev()) };
    for i in range {
        if !in_code(i) {
            continue;
        }
        if bytes[i] == open {
            depth += if forward { 1 } else { -1 };
        } else if bytes[i] == close {
            depth += if forward { -1 } else { 1 };
        }
        if depth == 0 {
            return (i != at).then_some(i);
        }
    }
    None
}

/// `line` with ANSI colours.
pub fn highlight(line: &str, pos: usize) -> String {
    let mut marks: Vec<(usize, usize, &str)> = spans(line);
    if let Some(m) = matching_bracket(line, pos) {
        marks.retain(|(s, e, _)| !(*s..*e).contains(&m));
        marks.push((m, m + 1, MATCH));
        marks.sort_by_key(|(s, _, _)| *s);
    }
    let mut out = String::with_capacity(line.len() + marks.len() * 10);
    let mut at = 0;
    for (s, e, colour) in marks {
        out.push_str(&line[at..s]);
        out.push_str(colour);
        out.push_str(&line[s..e]);
        out.push_str(RESET);
        at = e;
    }
    out.push_str(&line[at..]);
    out
}

impl Highlighter for EditorHelper {
    fn highlight<'l>(&self, line: &'l str, pos: usize) -> Cow<'l, str> {
        if self.color {
            Cow::Owned(highlight(line, pos))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _forced: bool) -> bool {
        self.color
    }
}

impl Hinter for EditorHelper {
    type Hint = String;
}

impl Validator for EditorHelper {}

impl Helper for EditorHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(name: &str, kind: &'static str) -> Known {
        Known { name: name.into(), kind }
    }

    fn names(c: (usize, Vec<Pair>)) -> Vec<String> {
        c.1.into_iter().map(|p| p.replacement).collect()
    }

    #[test]
    fn the_keywords_are_the_grammars() {
        let grammar = include_str!("../grammar/mpscript.pest");
        let rule = grammar.split("keyword = @{").nth(1).expect("a keyword rule");
        let rule = &rule[..rule.find('}').expect("its end")];
        let mut words: Vec<&str> = rule.split('"').skip(1).step_by(2).collect();
        let mut ours = KEYWORDS.to_vec();
        words.sort_unstable();
        ours.sort_unstable();
        assert_eq!(ours, words);
    }

    #[test]
    fn completes_methods_of_the_receivers_kind() {
        let g = [known("q", "queue"), known("p", "pool"), known("ends", "pipe end")];
        let got = names(complete(&g, "q.ge", 4));
        assert_eq!(got, ["get(", "get_nowait("]);
        assert!(names(complete(&g, "p.m", 3)).contains(&"map(".to_string()));
        assert_eq!(names(complete(&g, "ends.re", 7)), ["recv("]);
        assert_eq!(names(complete(&g, "p.si", 4)), ["size"]);
    }

    #[test]
    fn completes_names_keywords_and_commands() {
        let g = [known("print", "fn"), known("primes", "list")];
        assert_eq!(names(complete(&g, "pri", 3)), ["primes", "print("]);
        assert_eq!(names(complete(&g, "spa", 3)), ["spawn"]);
        assert_eq!(names(complete(&g, ":he", 3)), ["help "]);
        assert!(names(complete(&g, ":help pool.ma", 13)).contains(&"pool.map".to_string()));
        assert!(names(complete(&g, "print(\"pri", 10)).is_empty());
    }

    #[test]
    fn highlights_and_matches_brackets() {
        let h = highlight("let s = \"x\" # c", 0);
        assert!(h.contains("\x1b[1;35mlet\x1b[0m") && h.contains("\x1b[32m\"x\"\x1b[0m"), "{h:?}");
        assert!(h.contains("\x1b[90m# c"), "{h:?}");
        assert_eq!(matching_bracket("f(a, [1])", 9), Some(1));
        assert_eq!(matching_bracket("f(\")\")", 2), Some(5));
        assert_eq!(highlight("0..3", 0), "\x1b[36m0\x1b[0m..\x1b[36m3\x1b[0m");
    }
}
