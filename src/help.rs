//! Help in the tool: `mpscript help TOPIC`, `:help TOPIC` in the REPL and
//! the `help(x)` builtin print one entry of `docs/reference.md`, which is
//! bundled into the binary (one source of truth for the docs and the tool).
//!
//! An entry is a `### name, other.name` heading and the text under it, up
//! to the next `##`/`###` heading. Its topics are the names of the heading.

use crate::diagnostics::ErrorObj;
use crate::runtime::Host;
use crate::value::{type_name, Args, BuiltinFn, Value};

/// The whole reference, as the docs have it.
pub const REFERENCE: &str = include_str!("../docs/reference.md");

/// Where the docs are, for `--help` and `:help`.
pub const WHERE: &str = "docs: `mpscript help TOPIC` (e.g. `help queue`, `help pool.map`), \
docs/reference.md and docs/tutorial/ in the source tree";

pub const BUILTINS: &[(&str, BuiltinFn)] = &[("help", help_builtin)];

/// One entry of the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The section (`## …`) it belongs to.
    pub section: &'static str,
    /// Its heading: the topics it covers, comma-separated.
    pub heading: &'static str,
    pub body: &'static str,
}

impl Entry {
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        self.heading.split(',').map(str::trim).filter(|n| !n.is_empty())
    }

    /// The heading, a blank line and the text, as printed: code blocks
    /// indented instead of fenced.
    pub fn render(&self) -> String {
        let mut out = format!("{}\n\n", self.heading);
        let mut in_fence = false;
        for line in self.body.trim().lines() {
            if let Some(info) = line.strip_prefix("```") {
                if !in_fence {
                    match info.split_whitespace().next() {
                        Some("output") => out.push_str("  prints:\n"),
                        Some("error") => out.push_str("  reports on stderr:\n"),
                        _ => {}
                    }
                }
                in_fence = !in_fence;
                continue;
            }
            if in_fence {
                out.push_str("    ");
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// Every entry, in the order of the reference.
pub fn entries() -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut section = "";
    let mut in_fence = false;
    let mut start: Option<(&'static str, usize)> = None;
    let mut offset = 0;
    let close = |start: &mut Option<(&'static str, usize)>, end: usize, section: &'static str, out: &mut Vec<Entry>| {
        if let Some((heading, from)) = start.take() {
            out.push(Entry { section, heading, body: &REFERENCE[from..end] });
        }
    };
    for line in REFERENCE.split_inclusive('\n') {
        let here = offset;
        offset += line.len();
        if line.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some(h) = line.strip_prefix("### ") {
            close(&mut start, here, section, &mut out);
            start = Some((h.trim(), offset));
        } else if let Some(h) = line.strip_prefix("## ") {
            close(&mut start, here, section, &mut out);
            section = h.trim();
        }
    }
    close(&mut start, REFERENCE.len(), section, &mut out);
    out
}

/// `Queue.Get()` → `queue.get`; `:help` and `help(...)` spellings too.
fn normalize(topic: &str) -> String {
    let t = topic.trim().trim_start_matches(':').trim_end_matches("()").trim().to_lowercase();
    // Kind names a user may write for the handle kinds of the reference.
    let aliases = [
        ("async_result.", "result."),
        ("asyncresult.", "result."),
        ("async result.", "result."),
        ("process_handle.", "process."),
        ("string.", "str."),
        ("manager.", "shared."),
        ("joinablequeue.", "queue."),
    ];
    for (from, to) in aliases {
        if let Some(rest) = t.strip_prefix(from) {
            return format!("{to}{rest}");
        }
    }
    match t.as_str() {
        "joinablequeue" | "joinable" => "queue.task_done".into(),
        "manager" | "value" | "array" => "shared".into(),
        "def" | "function" | "lambda" => "fn".into(),
        "none" => "nil".into(),
        "with" => "lock".into(),
        "process" | "processes" => "process".into(),
        "except" | "raise" => "try".into(),
        "elif" => "if".into(),
        _ => t,
    }
}

/// What `help TOPIC` finds.
#[derive(Debug, PartialEq)]
pub enum Found {
    One(Entry),
    /// A bare method name that several kinds have (`get`).
    Several(Vec<Entry>),
    /// Nothing; close topics, if any.
    Nothing(Vec<&'static str>),
}

pub fn lookup(topic: &str) -> Found {
    let t = normalize(topic);
    let all = entries();
    if let Some(e) = all.iter().find(|e| e.names().any(|n| n.eq_ignore_ascii_case(&t))) {
        return Found::One(e.clone());
    }
    // `get` → `queue.get`, `dict.get`, `result.get`; `q.get` → `*.get`.
    let method = t.rsplit('.').next().unwrap_or(&t).to_string();
    let by_method: Vec<Entry> = all
        .iter()
        .filter(|e| e.names().any(|n| n.split_once('.').is_some_and(|(_, m)| m.eq_ignore_ascii_case(&method))))
        .cloned()
        .collect();
    match by_method.len() {
        0 => {}
        1 => return Found::One(by_method.into_iter().next().expect("one")),
        _ => return Found::Several(by_method),
    }
    let mut close: Vec<&'static str> = Vec::new();
    for n in all.iter().flat_map(|e| e.names().collect::<Vec<_>>()) {
        if (n.contains(&t) || near(n, &t)) && !close.contains(&n) {
            close.push(n);
        }
    }
    close.truncate(8);
    Found::Nothing(close)
}

/// Within two edits (typos like `prnt`, `qeue`).
fn near(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 2 || b.len() < 3 {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()] <= if b.len() <= 5 { 1 } else { 2 }
}

/// The text `help TOPIC` prints, and whether the topic was found.
pub fn text_for(topic: &str) -> (String, bool) {
    match lookup(topic) {
        Found::One(e) => (e.render(), true),
        Found::Several(es) => {
            let method = normalize(topic).rsplit('.').next().unwrap_or_default().to_string();
            let names: Vec<&str> = es
                .iter()
                .filter_map(|e| e.names().find(|n| n.split_once('.').is_some_and(|(_, m)| m == method)))
                .collect();
            let mut text = format!("`{}` is a method of several kinds: {}\n\n", topic.trim(), names.join(", "));
            for e in es {
                text.push_str(&e.render());
                text.push('\n');
            }
            (text, true)
        }
        Found::Nothing(close) if close.is_empty() => {
            (format!("no help for `{}`; `help` lists every topic\n", topic.trim()), false)
        }
        Found::Nothing(close) => {
            (format!("no help for `{}`; did you mean: {}?\n", topic.trim(), close.join(", ")), false)
        }
    }
}

/// `help` without a topic: every topic, by section.
pub fn index() -> String {
    let mut out = String::from("mpscript help TOPIC (in the REPL :help TOPIC) shows one of these topics:\n");
    let mut section = "";
    let mut line = String::new();
    for e in entries() {
        if e.section != section {
            if !line.is_empty() {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            section = e.section;
            out.push_str(&format!("\n{section}:\n"));
        }
        for n in e.names() {
            if line.len() + n.len() + 2 > 78 {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            line.push_str("  ");
            line.push_str(n);
        }
    }
    out.push_str(&line);
    out.push_str("\n\nThe full reference is docs/reference.md, a tutorial is in docs/tutorial/.\n");
    out
}

/// `help(x)` in a script: the entry for a builtin function, a handle's
/// kind, or a topic given as a string.
fn help_builtin(interp: &mut dyn Host, a: &mut Args) -> Result<Value, Box<ErrorObj>> {
    a.check(0, 1, &[])?;
    let text = match a.pos.first() {
        None => index(),
        Some(Value::Str(s)) => text_for(s).0,
        Some(Value::Native(n)) => text_for(&n.name).0,
        Some(Value::Func(_)) => {
            "a function of your own: it has no reference entry (help(\"fn\") tells how functions work)\n".into()
        }
        Some(Value::Handle(h)) => text_for(h.type_name()).0,
        Some(other) => text_for(type_name(other)).0,
    };
    crate::runtime::output::print_line(interp, &text)?;
    Ok(Value::Nil)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_and_keyword_has_an_entry() {
        for name in ["print", "len", "queue", "queue.get", "pool.map", "lock", "spawn", "fork", "shared", "help"] {
            assert!(matches!(lookup(name), Found::One(_)), "{name}");
        }
        assert!(matches!(lookup("get"), Found::Several(_)));
        assert!(matches!(lookup("Queue.Get()"), Found::One(_)));
        match lookup("prnt") {
            Found::Nothing(close) => assert!(close.contains(&"print"), "{close:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn entries_end_at_the_next_heading() {
        let Found::One(e) = lookup("len") else { panic!("len") };
        assert!(e.body.contains("length") && !e.body.contains("###"), "{}", e.body);
    }
}
