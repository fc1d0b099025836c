//! Text → AST. Knows nothing of processes or values.

pub mod ast;
pub mod parse;
pub mod span;

use parse::Rule;
use span::{SourceId, Span};

/// A syntax error: where, and what was expected, in words.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

pub use parse::parse_program;

/// Turn pest's error into one that names what was expected in words — never
/// a grammar rule name or `EOI`.
///
/// pest loses track of the furthest failure when a statement that starts
/// with a keyword fails (the `!keyword` lookahead of the alternatives resets
/// it) and blames the statement's first character. Then the statement is
/// parsed again on its own, by the rule its keyword selects, which reports
/// the real place.
fn from_pest(e: pest::error::Error<Rule>, src: SourceId, text: &str) -> SyntaxError {
    if let Some(better) = reparse_statement(&e, src, text) {
        return better;
    }
    from_pest_error(e, src)
}

fn reparse_statement(e: &pest::error::Error<Rule>, src: SourceId, text: &str) -> Option<SyntaxError> {
    use pest::Parser as _;
    let pest::error::InputLocation::Pos(pos) = e.location else { return None };
    let rest = text.get(pos..)?;
    let word: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let rule = match word.as_str() {
        "let" => Rule::let_stmt,
        "if" => Rule::if_stmt,
        "while" => Rule::while_stmt,
        "for" => Rule::for_stmt,
        "fn" => Rule::fn_decl,
        "try" => Rule::try_stmt,
        "return" => Rule::return_stmt,
        "throw" => Rule::throw_stmt,
        "lock" | "sem" => Rule::guard_stmt,
        _ => return None,
    };
    match parse::Grammar::parse(rule, rest) {
        Err(inner) => {
            let mut err = from_pest_error(inner, src);
            if err.span.start == 0 && err.span.end == 0 {
                return None;
            }
            err.span.start += pos as u32;
            err.span.end += pos as u32;
            Some(err)
        }
        Ok(_) => None,
    }
}

fn from_pest_error(e: pest::error::Error<Rule>, src: SourceId) -> SyntaxError {
    let (start, end) = match e.location {
        pest::error::InputLocation::Pos(p) => (p, p),
        pest::error::InputLocation::Span((s, t)) => (s, t),
    };
    let tokens: Vec<String> = e
        .parse_attempts()
        .map(|a| a.expected_tokens().into_iter().map(|t| t.to_string()).collect())
        .unwrap_or_default();
    if std::env::var_os("MPSCRIPT_DEBUG_PARSE").is_some() {
        eprintln!("pest: {:?}\ntokens: {:?}", e.variant, tokens);
    }
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut words: Vec<&str> = Vec::new();
            for r in positives {
                if let Some(w) = expected(*r) {
                    if !words.contains(&w) {
                        words.push(w);
                    }
                }
            }
            words
        }
        pest::error::ErrorVariant::CustomError { .. } => vec![],
    };
    let message = if expected.is_empty() {
        "unexpected input here".to_string()
    } else {
        format!("expected {}", join_words(&expected))
    };
    SyntaxError { span: Span::new(src, start, end), message, help: None }
}

fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// What a grammar rule means to a reader, or `None` to leave it unsaid.
fn expected(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "the end of the statement",
        Rule::ident => "a name",
        Rule::field_name => "a field or method name",
        Rule::block => "a block `{ … }`",
        Rule::params => "a parameter list `( … )`",
        Rule::param => "a parameter name",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::cmp_expr
        | Rule::range_expr
        | Rule::add_expr
        | Rule::mul_expr
        | Rule::unary
        | Rule::postfix => "an expression",
        Rule::int
        | Rule::float
        | Rule::string
        | Rule::raw_string
        | Rule::true_lit
        | Rule::false_lit
        | Rule::nil_lit
        | Rule::list
        | Rule::dict
        | Rule::fn_literal
        | Rule::spawn_expr
        | Rule::constructor => "an expression",
        Rule::op_or | Rule::op_and | Rule::cmp_op | Rule::range_op | Rule::add_op | Rule::mul_op => "an operator",
        Rule::call_args | Rule::index | Rule::field => "an operator",
        Rule::assign_op => "`=`",
        Rule::kwarg => "an argument",
        Rule::else_if | Rule::else_block => "`else`",
        Rule::catch_clause => "`catch`",
        Rule::finally_clause => "`finally`",
        Rule::pipe_duplex | Rule::pipe_oneway => "`,` or `->` and a second name",
        Rule::pair => "a `key: value` pair",
        Rule::str_text | Rule::str_escape | Rule::str_interp => "the closing quote `\"`",
        Rule::daemon => "`daemon`",
        Rule::let_stmt
        | Rule::fn_decl
        | Rule::if_stmt
        | Rule::while_stmt
        | Rule::for_stmt
        | Rule::try_stmt
        | Rule::return_stmt
        | Rule::break_stmt
        | Rule::continue_stmt
        | Rule::throw_stmt
        | Rule::guard_stmt
        | Rule::lock_decl
        | Rule::sem_decl
        | Rule::event_decl
        | Rule::queue_decl
        | Rule::pipe_decl
        | Rule::pool_decl
        | Rule::shared_decl
        | Rule::assign_stmt
        | Rule::expr_stmt => "a statement",
        _ => return None,
    })
}
