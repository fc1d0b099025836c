//! A quick scan before parsing: brackets, blocks and strings nested more
//! than `MAX_NESTING` deep are a `SyntaxError`, because the parser (and
//! later the evaluator) would need native stack for every level. The scan
//! only counts; it leaves every other mistake to the parser.

use super::parse::MAX_NESTING;
use super::span::{SourceId, Span};
use super::SyntaxError;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// `(`, `[` or `{` in code.
    Bracket,
    /// A `"…"` string.
    Str,
    /// `{…}` inside a `"…"` string: code again.
    Interp,
}

pub fn check(text: &str, src: SourceId) -> Result<(), SyntaxError> {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if stack.last() == Some(&Frame::Str) {
            match c {
                b'\\' if b[i + 1..].starts_with(b"u{") => {
                    i += 3;
                    while i < b.len() && b[i].is_ascii_hexdigit() {
                        i += 1;
                    }
                    if b.get(i) != Some(&b'}') {
                        i -= 1;
                    }
                }
                b'\\' => i += 1,
                b'"' => {
                    stack.pop();
                }
                b'{' => stack.push(Frame::Interp),
                _ => {}
            }
        } else {
            match c {
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'\'' => {
                    i += 1;
                    while i < b.len() && b[i] != b'\'' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'"' => stack.push(Frame::Str),
                b'(' | b'[' | b'{' => stack.push(Frame::Bracket),
                b')' | b']' | b'}' => {
                    stack.pop();
                }
                _ => {}
            }
        }
        if stack.len() > MAX_NESTING {
            let span = Span::new(src, i, i + 1);
            return Err(SyntaxError::new(
                span,
                format!("nesting too deep: more than {MAX_NESTING} levels of brackets, blocks and strings"),
            )
            .with_help("split the code into functions or several statements"));
        }
        i += 1;
    }
    Ok(())
}
