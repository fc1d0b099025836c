//! Source positions. A `Span` is a byte range in one loaded source; the
//! `SourceMap` keeps every source text so diagnostics can show the line,
//! whichever process raises them (children inherit the map at fork).

use std::rc::Rc;

/// Index of a source in the `SourceMap`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct SourceId(pub u32);

/// A byte range `start..end` in the source `src`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub src: SourceId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(src: SourceId, start: usize, end: usize) -> Span {
        Span { src, start: start as u32, end: end as u32 }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { src: self.src, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.end == self.start
    }
}

/// One loaded source: a file, a `-e` string, or a REPL entry.
#[derive(Debug)]
pub struct Source {
    pub name: String,
    pub text: Rc<str>,
}

#[derive(Debug, Default)]
pub struct SourceMap {
    sources: Vec<Source>,
}

impl SourceMap {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Rc<str>>) -> SourceId {
        self.sources.push(Source { name: name.into(), text: text.into() });
        SourceId(self.sources.len() as u32 - 1)
    }

    pub fn get(&self, id: SourceId) -> Option<&Source> {
        self.sources.get(id.0 as usize)
    }

    /// `name:line:col` (1-based) of a span's start.
    pub fn location(&self, span: Span) -> String {
        match self.get(span.src) {
            Some(src) => {
                let (line, col) = line_col(&src.text, span.start as usize);
                format!("{}:{}:{}", src.name, line, col)
            }
            None => "<unknown>".to_string(),
        }
    }

    /// The receiver written at a call's span: `b` for `b.acquire()` or
    /// `lock b { }`; `None` unless it is a short, one-line expression.
    pub fn target_name(&self, span: Span) -> Option<String> {
        let src = self.get(span.src)?;
        let text = src.text.get(span.start as usize..span.end as usize)?;
        let head = text.split('(').next().unwrap_or(text);
        let recv = match head.rfind('.') {
            Some(i) => &head[..i],
            None => head,
        };
        let recv = recv.trim();
        let simple = !recv.is_empty() && recv.len() <= 40 && !recv.contains('\n');
        simple.then(|| recv.to_string())
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..offset].chars().count() + 1;
    (line, col)
}
