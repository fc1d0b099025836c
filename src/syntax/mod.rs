//! Text → AST. Knows nothing of processes or values.

pub mod ast;
mod errors;
pub mod escapes;
pub mod member;
mod nesting;
pub mod parse;
pub mod span;

use span::Span;

/// A syntax error: where, and what was expected, in words.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    /// Further places worth showing, e.g. the bracket that is never closed.
    pub labels: Vec<(Span, String)>,
}

impl SyntaxError {
    pub fn new(span: Span, message: impl Into<String>) -> SyntaxError {
        SyntaxError { span, message: message.into(), help: None, labels: vec![] }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> SyntaxError {
        self.help = Some(help.into());
        self
    }
}

pub use parse::parse_program;

use errors::from_pest;
