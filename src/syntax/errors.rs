//! Syntax errors in words. pest reports the grammar *rules* it tried at the
//! furthest position it reached, and — with error detail on — the literal
//! tokens (`)`, `,`, `;`…) it would have accepted there. This module turns
//! those, plus a small bracket scanner over the source, into one message
//! that says what was expected: never a rule name, never `EOI`.
//!
//! The checks run from the most specific mistake to the least: an unclosed
//! string, a stray character, a stray closing bracket, a missing operand, a
//! missing block, two statements on one line, an unclosed bracket; only
//! then the generic list of what the grammar wanted.

use super::parse::{Grammar, Rule};
use super::span::{SourceId, Span};
use super::SyntaxError;
use pest::error::{Error, ErrorVariant, InputLocation};

/// Turn pest's error for `text` into a `SyntaxError`.
///
/// pest loses track of the furthest failure when a statement that starts
/// with a keyword fails (the `!keyword` lookahead of the alternatives resets
/// it) and blames the statement's first character. Then the statement is
/// parsed again on its own, by the rule its keyword selects, which reports
/// the real place.
pub(super) fn from_pest(e: Error<Rule>, src: SourceId, text: &str) -> SyntaxError {
    let failure = reparse_statement(&e, text).unwrap_or_else(|| Failure::new(&e, text, 0));
    if std::env::var_os("MPSCRIPT_DEBUG_PARSE").is_some() {
        eprintln!("pest: at {} rules {:?}\ntokens: {:?}", failure.pos, failure.rules, failure.tokens);
    }
    let d = describe(&failure, text);
    let span = |(s, t): (usize, usize)| Span::new(src, s, t);
    SyntaxError {
        span: span(d.at),
        message: d.message,
        help: d.help,
        labels: d.labels.into_iter().map(|(at, l)| (span(at), l)).collect(),
    }
}

/// What pest says went wrong, in absolute positions of the whole text.
struct Failure {
    pos: usize,
    rules: Vec<Rule>,
    tokens: Vec<String>,
}

impl Failure {
    /// `e` is pest's error for `text`, which starts at `offset` in the
    /// whole source.
    fn new(e: &Error<Rule>, text: &str, offset: usize) -> Failure {
        let mut pos = match e.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
        let mut rules = match &e.variant {
            ErrorVariant::ParsingError { positives, .. } => positives.clone(),
            ErrorVariant::CustomError { .. } => vec![],
        };
        let mut tokens = Vec::new();
        if let Some(a) = e.parse_attempts() {
            tokens = a.expected_tokens().into_iter().map(|t| t.to_string()).collect();
            // The tokens are those wanted at the furthest point reached,
            // which can lie beyond the place pest blames; that place's
            // rules then say nothing about the furthest point. Blank space
            // in between does not count: `print(1` is best reported right
            // after the `1`, not after the blank lines that follow.
            let furthest = a.max_position.min(text.len());
            // Only identifier characters wanted there means pest was
            // looking past a keyword (`!ident_char`), not at the mistake.
            let only_ident_chars = tokens.iter().all(|t| t == "_" || t.contains(".."));
            if furthest > pos && !text[pos..furthest].trim().is_empty() && !only_ident_chars {
                pos = furthest;
                rules.clear();
            }
        }
        Failure { pos: pos + offset, rules, tokens }
    }

    fn wants(&self, token: &str) -> bool {
        self.tokens.iter().any(|t| t == token)
    }
}

fn reparse_statement(e: &Error<Rule>, text: &str) -> Option<Failure> {
    use pest::Parser as _;
    let InputLocation::Pos(pos) = e.location else {
        return None;
    };
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
    let inner = Grammar::parse(rule, rest).err()?;
    let failure = Failure::new(&inner, rest, pos);
    (failure.pos != pos).then_some(failure)
}

/// The finished message: primary place, text, help, further labels.
struct Described {
    at: (usize, usize),
    message: String,
    help: Option<String>,
    labels: Vec<((usize, usize), String)>,
}

impl Described {
    fn at(pos: usize, message: impl Into<String>) -> Described {
        Described { at: (pos, pos), message: message.into(), help: None, labels: vec![] }
    }

    fn help(mut self, help: impl Into<String>) -> Described {
        self.help = Some(help.into());
        self
    }

    fn label(mut self, at: usize, text: impl Into<String>) -> Described {
        self.labels.push(((at, at + 1), text.into()));
        self
    }
}

fn describe(f: &Failure, text: &str) -> Described {
    let at_end = text[f.pos.min(text.len())..].trim().is_empty();
    // At the end of the input, point just after the last code, not at the
    // blank lines that follow it.
    let pos = if at_end { text.trim_end().len() } else { f.pos };
    let here = text[pos..].chars().next();
    let open = scan(text, pos);

    if let Some(d) = unclosed_string(text, pos) {
        return d;
    }
    if let Some(d) = python_hint(text, pos, &open) {
        return d;
    }
    if let Some(c) = here.filter(|c| !can_start_token(*c)) {
        return Described::at(pos, format!("unexpected character `{c}`"));
    }
    // A closer that does not match the innermost open bracket; one that
    // does is fine, and the problem lies before it (`f(a=)`).
    if let Some(c) = here.filter(|c| matches!(c, ')' | ']' | '}')) {
        if !f.wants(&c.to_string()) && open.last().is_none_or(|o| o.closer() != c) {
            return stray_closer(f, c, pos, open.last());
        }
    }
    let comparisons = ["==", "!=", "<=", ">=", "<", ">"];
    if let Some(op) = comparisons.iter().find(|op| text[pos..].starts_with(*op)) {
        if !f.wants(op) && !f.rules.contains(&Rule::cmp_op) {
            return Described::at(pos, "comparisons cannot be chained")
                .help("write `a < b and b < c`, or add parentheses");
        }
    }
    if wants_expression(f) {
        if let Some(op) = previous_operator(text, pos) {
            return Described::at(pos, format!("expected an expression after `{op}`"));
        }
    }
    if f.rules.contains(&Rule::block) {
        return missing_block(text, pos);
    }
    if f.wants(";") && !at_end {
        return Described::at(pos, "expected a newline or `;` between statements")
            .help("put each statement on its own line, or separate them with `;`");
    }
    if let Some(o) = open.last() {
        if o.what == What::Braces && f.wants(":") && !f.wants(";") {
            return Described::at(pos, "expected `:` between the key and its value");
        }
        if f.wants(&o.closer().to_string()) {
            return unclosed(f, pos, o, at_end);
        }
    }
    if f.rules == [Rule::ident] {
        if let Some(word) = previous_word(text, pos) {
            return Described::at(pos, format!("expected a name after `{word}`"));
        }
    }
    generic(f, pos, at_end)
}

/// Python written as mpscript: say what mpscript writes instead. Looks at
/// the words of the line where parsing failed and the text at `pos`.
fn python_hint(text: &str, pos: usize, open: &[Open]) -> Option<Described> {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
    let line = code_only(&text[line_start..line_end]);
    let line = line.as_str();
    let indent = line.len() - line.trim_start().len();
    let words: Vec<(usize, &str)> = line
        .match_indices(|c: char| c.is_ascii_alphanumeric() || c == '_')
        .fold(Vec::new(), |mut acc: Vec<(usize, usize)>, (i, _)| {
            match acc.last_mut() {
                Some((s, e)) if *s + *e == i => *e += 1,
                _ => acc.push((i, 1)),
            }
            acc
        })
        .into_iter()
        .map(|(i, n)| (line_start + i, &line[i..i + n]))
        .collect();
    let word_at = |w: &str| words.iter().find(|(_, x)| *x == w).map(|(i, _)| *i);
    let first = words.first().filter(|(i, _)| *i == line_start + indent).map(|(_, w)| *w);
    let rest = &text[pos..];
    let hint = |at: usize, message: &str, help: &str| Some(Described::at(at, message).help(help));

    if let Some(at) = word_at("__name__") {
        return hint(
            at,
            "`if __name__ == \"__main__\":` is not needed in mpscript",
            "a script's top-level code runs only in the main program (a spawned child runs only its function): \
             delete the `if` line and keep its body",
        );
    }
    match first {
        Some("def") => {
            return hint(
                line_start + indent,
                "mpscript defines functions with `fn`, not `def`",
                "write `fn name(a, b=1) { … }`: the body goes in braces, not after `:`",
            )
        }
        Some("import") | Some("from") if word_at("import").is_some() => {
            return hint(
                line_start + indent,
                "mpscript needs no `import`",
                "spawn, queue, lock, pool, sleep, getpid… are built in: delete this line (`mpscript help` lists them)",
            )
        }
        Some("with") => {
            return hint(
                line_start + indent,
                "mpscript has no `with` statement",
                "to hold a lock for a block write `lock l { … }` (a semaphore: `sem s { … }`)",
            )
        }
        Some("raise") => {
            return hint(
                line_start + indent,
                "mpscript raises errors with `throw`, not `raise`",
                "write `throw error(\"ValueError\", \"what went wrong\")`",
            )
        }
        Some("class") => {
            return hint(
                line_start + indent,
                "mpscript has no classes",
                "use a dict for data and functions for behaviour",
            )
        }
        _ => {}
    }
    if let Some(at) = word_at("elif") {
        return hint(at, "write `else if`, not `elif`", "`if a { … } else if b { … } else { … }`");
    }
    if let Some(at) = word_at("except") {
        return hint(at, "write `catch`, not `except`", "`try { … } catch e { print(e.kind, e.message) }`");
    }
    if let Some(at) = word_at("lambda") {
        return hint(at, "mpscript has no `lambda`", "write an anonymous function: `fn(x) { return x * 2 }`");
    }
    if rest.starts_with("&&") || rest.starts_with("||") {
        let (op, word) = if rest.starts_with("&&") { ("&&", "and") } else { ("||", "or") };
        return hint(pos, &format!("write `{word}`, not `{op}`"), &format!("`a {word} b`"));
    }
    if rest.starts_with('!') && !rest.starts_with("!=") {
        return hint(pos, "write `not`, not `!`", "`if not done { … }`");
    }
    if let Some(at) = word_at("is").filter(|at| *at <= pos) {
        return hint(at, "mpscript has no `is`: compare with `==` and `!=`", "`x == nil`, `x != nil`");
    }
    // f"…": the `f` parsed as a name, and the string after it is the error.
    if rest.starts_with(['"', '\'']) && text[..pos].ends_with('f') && previous_word(text, pos) == Some("f") {
        return hint(
            pos - 1,
            "mpscript strings need no `f` prefix",
            "every \"…\" string interpolates: `\"n is {n}\"` ('…' strings do not)",
        );
    }
    if let Some(at) = word_at("Process").filter(|at| text[*at + 7..].starts_with('(')) {
        return hint(
            at,
            "mpscript starts a process with `spawn`, not `Process(target=…)`",
            "write `let p = spawn f(1, 2)`: it starts at once (no start()); `p.join()` waits for it",
        );
    }
    let inside = open.last().map(|o| o.what);
    let list_start = open.last().filter(|o| o.what == What::List).map(|o| o.pos);
    if let Some(at) = list_start.and_then(|start| words.iter().find(|(i, w)| *w == "for" && *i > start && *i < pos)) {
        return hint(
            at.0,
            "mpscript has no list comprehensions",
            "build the list with a loop: `let ys = []` and `for x in xs { ys.push(x * 2) }`",
        );
    }
    if inside == Some(What::Group) && rest.starts_with(',') {
        return hint(pos, "mpscript has no tuples: use a list", "`[1, 2]` instead of `(1, 2)`");
    }
    let opens_block = matches!(first, Some("if" | "while" | "for" | "else" | "try" | "finally" | "catch"));
    if opens_block && rest.starts_with(':') {
        let after = rest[1..].trim_start_matches([' ', '\t', '\r']);
        if after.is_empty() || after.starts_with(['\n', '#']) {
            return hint(pos, "blocks are written in braces, not after `:`", "`if x > 0 { … }`, `for x in xs { … }`");
        }
    }
    None
}

/// `line` with the text of strings and comments blanked out (same byte
/// positions), so words inside them are not taken for code.
fn code_only(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    let blank = |out: &mut String, c: char| out.extend(std::iter::repeat_n(' ', c.len_utf8()));
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                blank(&mut out, c);
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        blank(&mut out, n);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '#' => {
                blank(&mut out, c);
                chars.by_ref().for_each(|c| blank(&mut out, c));
            }
            None => out.push(c),
        }
    }
    out
}

/// A `"…"` or `'…'` string that reaches the end of the file.
fn unclosed_string(text: &str, pos: usize) -> Option<Described> {
    let scanned = scan_all(text);
    let start = scanned.unclosed_string.filter(|s| *s <= pos)?;
    // `"a {x"`: the `}` is missing, so the next quote opened a new string.
    let interp = scanned.open.iter().rev().find(|o| o.what == What::Interp && o.pos > start);
    if let Some(i) = interp {
        return Some(
            Described::at(i.pos, "unclosed `{` in a string")
                .help("end the interpolation with `}`, or write `\\{` for a literal brace"),
        );
    }
    let quote = &text[start..start + 1];
    Some(
        Described::at(start, "unclosed string")
            .help(format!("this string runs to the end of the file: add the closing `{quote}`")),
    )
}

/// Characters that never begin a token (outside strings and comments).
fn can_start_token(c: char) -> bool {
    c.is_ascii_alphanumeric() || c.is_whitespace() || "_\"'()[]{}+-*/%<>=!.,:;#\\".contains(c)
}

fn stray_closer(f: &Failure, c: char, pos: usize, open: Option<&Open>) -> Described {
    match open {
        Some(o) if f.wants(&o.closer().to_string()) => {
            Described::at(pos, format!("expected `{}` to close the {}, found `{c}`", o.closer(), o.what.noun()))
                .label(o.pos, format!("{} started here", o.what.noun()))
        }
        _ => {
            Described::at(pos, format!("unmatched `{c}`")).help("remove it, or add the opening bracket it should close")
        }
    }
}

const EXPRESSION_RULES: &[Rule] = &[
    Rule::expr,
    Rule::or_expr,
    Rule::and_expr,
    Rule::not_expr,
    Rule::cmp_expr,
    Rule::range_expr,
    Rule::add_expr,
    Rule::mul_expr,
    Rule::unary,
    Rule::power,
    Rule::postfix,
];

/// Whether an expression could start here: then pest wanted a string
/// literal (outside a string, the only place a `"` is wanted).
fn wants_expression(f: &Failure) -> bool {
    f.wants("\"") || !f.rules.is_empty() && f.rules.iter().all(|r| EXPRESSION_RULES.contains(r))
}

/// The operator just before `pos` (skipping spaces), if the text there ends
/// with one: `+`, `//=`, `and`, `return`…
fn previous_operator(text: &str, pos: usize) -> Option<&str> {
    const SYMBOLS: &[&str] = &[
        "**=", "//=", "..=", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "%=", "**", "//", "..", "->", "+", "-",
        "*", "/", "%", "<", ">", "=", ":",
    ];
    const WORDS: &[&str] = &["and", "or", "not", "in", "return", "throw", "if", "while"];
    let before = text[..pos].trim_end_matches([' ', '\t', '\r', '\n']);
    if let Some(op) = SYMBOLS.iter().find(|op| before.ends_with(*op)) {
        return Some(op);
    }
    let word = previous_word(text, pos)?;
    WORDS.contains(&word).then_some(word)
}

/// The identifier-like word just before `pos`, skipping spaces.
fn previous_word(text: &str, pos: usize) -> Option<&str> {
    let before = text[..pos].trim_end_matches([' ', '\t']);
    let start = before.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_').len();
    let word = &before[start..];
    (!word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit())).then_some(word)
}

/// `if x print(x)`: say which statement wants a block.
fn missing_block(text: &str, pos: usize) -> Described {
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..pos];
    let words: Vec<&str> = line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).collect();
    const OWNERS: &[&str] = &["if", "while", "for", "fn", "else", "try", "catch", "finally", "lock", "sem", "spawn"];
    let owner = words.iter().rev().find(|w| OWNERS.contains(w)).copied();
    let after = match owner {
        Some("if") => "after the condition".to_string(),
        Some("while") => "after the loop condition".to_string(),
        Some("for") => "after `for … in …`".to_string(),
        Some("fn") => "for the function body".to_string(),
        Some("lock") => "to run while holding the lock".to_string(),
        Some("sem") => "to run while holding the semaphore".to_string(),
        Some(kw) => format!("after `{kw}`"),
        None => String::new(),
    };
    let message = format!("expected a block `{{ … }}` {after}").trim_end().to_string();
    let d = Described::at(pos, message);
    let next_line_opens = text[pos..].trim_start_matches([' ', '\t', '\r']).starts_with('\n')
        && text[pos..].trim_start().starts_with('{');
    match owner {
        Some(kw) if next_line_opens => d.help(format!("the `{{` must be on the same line as `{kw}`")),
        _ => d,
    }
}

/// An opening bracket whose closer pest wanted at `pos`.
fn unclosed(f: &Failure, pos: usize, o: &Open, at_end: bool) -> Described {
    let mut alternatives = Vec::new();
    // `{` opens a block or a dict; only a block lets a statement end.
    let noun =
        if o.what == What::Braces && !f.wants(";") && (f.wants(",") || f.wants(":")) { "dict" } else { o.what.noun() };
    if matches!(noun, "block" | "interpolation") {
        // only the closer is worth saying
    } else if o.what == What::Params && (f.rules.contains(&Rule::param) || f.rules.contains(&Rule::ident)) {
        alternatives.push("a parameter name".to_string());
    } else if wants_expression(f) {
        alternatives.push("an expression".to_string());
    } else if f.wants(",") {
        alternatives.push("`,`".to_string());
    }
    alternatives.push(format!("`{}`", o.closer()));
    let message = format!("expected {} to close the {noun}", join_words(&alternatives));
    let started = if at_end { format!("this {noun} is never closed") } else { format!("{noun} started here") };
    Described::at(pos, message).label(o.pos, started)
}

fn generic(f: &Failure, pos: usize, at_end: bool) -> Described {
    let mut words: Vec<&str> = Vec::new();
    for r in &f.rules {
        if let Some(w) = expected(*r) {
            if !words.contains(&w) {
                words.push(w);
            }
        }
    }
    // "an operator" is true after almost any expression, so it only helps
    // when nothing else was possible.
    if words.len() > 1 {
        words.retain(|w| *w != "an operator");
    }
    // Literal tokens, when there are few: `let x` wants `=`.
    if words.is_empty() {
        let punct: Vec<String> = f
            .tokens
            .iter()
            .filter(|t| t.chars().all(|c| c.is_ascii_punctuation()))
            .filter(|t| !matches!(t.as_str(), "#" | "\\" | "_"))
            .map(|t| format!("`{t}`"))
            .collect();
        // `let x` could go on with `, y` (unpacking), but `=` is what was meant.
        let punct: Vec<String> =
            if punct.len() == 2 && punct.contains(&"`=`".to_string()) { vec!["`=`".to_string()] } else { punct };
        if (1..=3).contains(&punct.len()) {
            return Described::at(pos, format!("expected {}", join_words(&punct)));
        }
    }
    let message = if words.is_empty() {
        "unexpected input here".to_string()
    } else if at_end {
        format!("expected {} before the end of the input", join_words(&words))
    } else {
        format!("expected {}", join_words(&words))
    };
    Described::at(pos, message)
}

fn join_words<S: AsRef<str>>(words: &[S]) -> String {
    match words {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(|w| w.as_ref()).collect();
            format!("{} or {}", init.join(", "), last.as_ref())
        }
    }
}

/// What a grammar rule means to a reader, or `None` to leave it unsaid.
fn expected(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "a newline or `;`",
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
        | Rule::power
        | Rule::postfix => "an expression",
        Rule::int
        | Rule::float
        | Rule::string
        | Rule::raw_string
        | Rule::bytes_lit
        | Rule::true_lit
        | Rule::false_lit
        | Rule::nil_lit
        | Rule::list
        | Rule::dict
        | Rule::fn_literal
        | Rule::spawn_expr
        | Rule::constructor => "an expression",
        Rule::op_or | Rule::op_and | Rule::cmp_op | Rule::range_op | Rule::add_op | Rule::mul_op | Rule::op_pow => {
            "an operator"
        }
        Rule::call_args | Rule::index | Rule::field => "an operator",
        Rule::assign_op => "`=`",
        Rule::kwarg => "an argument",
        Rule::else_if | Rule::else_block => "`else`",
        Rule::catch_clause => "`catch`",
        Rule::finally_clause => "`finally`",
        Rule::pipe_duplex | Rule::pipe_oneway => "`,` or `->` and a second name",
        Rule::pair => "a `key: value` pair",
        Rule::str_text | Rule::str_interp => "the closing quote `\"`",
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
        | Rule::expr_stmt => "a statement",
        Rule::kw_let
        | Rule::kw_fn
        | Rule::kw_return
        | Rule::kw_if
        | Rule::kw_while
        | Rule::kw_for
        | Rule::kw_try
        | Rule::kw_throw
        | Rule::kw_lock
        | Rule::kw_sem
        | Rule::kw_event
        | Rule::kw_queue
        | Rule::kw_pipe
        | Rule::kw_pool
        | Rule::kw_shared
        | Rule::guard_kw => "a statement",
        Rule::kw_in => "`in`",
        _ => return None,
    })
}

// ---------------------------------------------------------------- brackets

/// What an opening bracket began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum What {
    Call,
    Params,
    Group,
    Index,
    List,
    Braces,
    Interp,
}

impl What {
    fn noun(self) -> &'static str {
        match self {
            What::Call => "call",
            What::Params => "parameter list",
            What::Group => "parenthesis",
            What::Index => "index",
            What::List => "list",
            What::Braces => "block",
            What::Interp => "interpolation",
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Open {
    pos: usize,
    what: What,
}

impl Open {
    fn closer(&self) -> char {
        match self.what {
            What::Call | What::Params | What::Group => ')',
            What::Index | What::List => ']',
            What::Braces | What::Interp => '}',
        }
    }
}

/// The source read as far as some position: open brackets (innermost
/// last), and where an unclosed string began.
#[derive(Default)]
struct Scanned {
    open: Vec<Open>,
    in_string: Vec<usize>,
    unclosed_string: Option<usize>,
}

/// The brackets still open at `pos`.
fn scan(text: &str, pos: usize) -> Vec<Open> {
    scan_upto(text, pos).open
}

fn scan_all(text: &str) -> Scanned {
    let mut s = scan_upto(text, text.len());
    s.unclosed_string = s.unclosed_string.or(s.in_string.first().copied());
    s
}

/// Follows the lexical rules of the grammar: `#` comments, `"…"` strings
/// with escapes and `{…}` interpolation (which nests), `'…'` raw strings.
fn scan_upto(text: &str, pos: usize) -> Scanned {
    let mut s = Scanned::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    // In a string when the innermost thing open is a string, not an
    // interpolation inside it.
    let in_str = |s: &Scanned| s.in_string.last().is_some_and(|q| s.open.last().is_none_or(|o| o.pos < *q));
    while i < pos.min(bytes.len()) {
        let c = bytes[i];
        if in_str(&s) {
            match c {
                b'"' => {
                    s.in_string.pop();
                }
                b'\\' => i += 1,
                b'{' => s.open.push(Open { pos: i, what: What::Interp }),
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => s.in_string.push(i),
            b'\'' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i >= bytes.len() {
                    s.unclosed_string.get_or_insert(start);
                }
            }
            b'(' | b'[' | b'{' => {
                let what = opener_kind(text, i);
                s.open.push(Open { pos: i, what });
            }
            b')' | b']' | b'}' if s.open.last().is_some_and(|o| o.closer() as u8 == c) => {
                s.open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    s
}

/// Whether the bracket at `i` starts a call, a list, a block… judged by
/// the code just before it.
fn opener_kind(text: &str, i: usize) -> What {
    let before = text[..i].trim_end_matches([' ', '\t']);
    let prev = before.chars().last();
    let follows_value =
        prev.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ')' || c == ']' || c == '"' || c == '\'');
    let word = previous_word(text, i);
    match text.as_bytes()[i] {
        b'(' => {
            let fn_params = word == Some("fn")
                || word.is_some_and(|w| {
                    before[..before.len() - w.len()].trim_end().ends_with("fn") && {
                        let head = before[..before.len() - w.len()].trim_end();
                        previous_word(head, head.len()) == Some("fn")
                    }
                });
            if fn_params {
                What::Params
            } else if follows_value && !word.is_some_and(is_keyword) {
                What::Call
            } else {
                What::Group
            }
        }
        b'[' if follows_value && !word.is_some_and(is_keyword) => What::Index,
        b'[' => What::List,
        _ => What::Braces,
    }
}

fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "let"
            | "return"
            | "if"
            | "else"
            | "while"
            | "for"
            | "in"
            | "and"
            | "or"
            | "not"
            | "throw"
            | "try"
            | "catch"
            | "finally"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanner_follows_strings_comments_and_interpolation() {
        let text = "f(\"a {g(1)} )\", '(', # (\n [";
        let open = scan(text, text.len());
        let kinds: Vec<What> = open.iter().map(|o| o.what).collect();
        assert_eq!(kinds, [What::Call, What::List]);
        assert_eq!(scan_all("print(\"abc").unclosed_string, Some(6));
        assert_eq!(scan_all("x = 'abc").unclosed_string, Some(4));
        assert_eq!(scan_all("x = \"a{1}b\" # \"").unclosed_string, None);
    }

    #[test]
    fn opener_kinds() {
        let kind = |t: &str| opener_kind(t, t.len() - 1);
        assert_eq!(kind("print("), What::Call);
        assert_eq!(kind("fn f("), What::Params);
        assert_eq!(kind("let g = fn("), What::Params);
        assert_eq!(kind("x = ("), What::Group);
        assert_eq!(kind("if ("), What::Group);
        assert_eq!(kind("xs["), What::Index);
        assert_eq!(kind("x = ["), What::List);
    }
}
