//! Backslash escapes of string literals, as Python reads them: `\n \t \r
//! \\ \" \' \{ \}`, `\xHH`, `\uHHHH`, `\u{H…}` and octal `\ooo` (`\0`,
//! `\033`). Any other backslash sequence is a syntax error at that place,
//! never a silent change. `decode` works on characters so that a future
//! bytes literal can reuse it (checking that each code is below 256).

use super::span::Span;
use super::SyntaxError;

/// Decode the escapes of `text` (a run of a `"…"` string without
/// interpolation) onto `out`. `at(a, b)` gives the span of bytes `a..b`.
pub fn decode(text: &str, out: &mut String, at: impl Fn(usize, usize) -> Span) -> Result<(), SyntaxError> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let Some(rel) = text[i..].find('\\') else {
            out.push_str(&text[i..]);
            break;
        };
        out.push_str(&text[i..i + rel]);
        let start = i + rel;
        let (c, len) = one(text, start, &at)?;
        out.push(c);
        i = start + len;
    }
    Ok(())
}

/// The escape starting at the backslash at `start`: its character and its
/// length in bytes.
fn one(text: &str, start: usize, at: &impl Fn(usize, usize) -> Span) -> Result<(char, usize), SyntaxError> {
    let rest = &text[start + 1..];
    let Some(c) = rest.chars().next() else {
        return Err(SyntaxError::new(at(start, start + 1), "a string cannot end with a lone backslash"));
    };
    let simple = match c {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        '\\' => Some('\\'),
        '"' => Some('"'),
        '\'' => Some('\''),
        '{' => Some('{'),
        '}' => Some('}'),
        _ => None,
    };
    if let Some(s) = simple {
        return Ok((s, 2));
    }
    let hex_run =
        |from: usize, max: usize| rest[from..].chars().take(max).take_while(|c| c.is_ascii_hexdigit()).count();
    let code = |digits: &str, radix: u32, len: usize| -> Result<(char, usize), SyntaxError> {
        let span = at(start, start + len);
        let n = u32::from_str_radix(digits, radix).map_err(|_| SyntaxError::new(span, "escape value out of range"))?;
        match char::from_u32(n) {
            Some(ch) => Ok((ch, len)),
            None if (0xD800..0xE000).contains(&n) => Err(SyntaxError::new(
                span,
                format!("escape `{}` is a surrogate (U+{n:04X}), not a character", &text[start..start + len]),
            )),
            None => Err(SyntaxError::new(
                span,
                format!("escape `{}` is beyond the last code point U+10FFFF", &text[start..start + len]),
            )
            .with_help("code points range from \\u{0} to \\u{10FFFF}")),
        }
    };
    match c {
        '0'..='7' => {
            let n = rest.chars().take(3).take_while(|c| ('0'..='7').contains(c)).count();
            code(&rest[..n], 8, 1 + n)
        }
        'x' => {
            let n = hex_run(1, 2);
            if n < 2 {
                return Err(SyntaxError::new(at(start, start + 2 + n), "`\\x` needs two hex digits, as in `\\x1b`"));
            }
            code(&rest[1..3], 16, 4)
        }
        'u' if rest[1..].starts_with('{') => {
            let n = hex_run(2, 7);
            if n == 0 || n > 6 || !rest[2 + n..].starts_with('}') {
                return Err(SyntaxError::new(
                    at(start, start + 3 + n),
                    "`\\u{…}` needs 1 to 6 hex digits and a closing `}`, as in `\\u{1F600}`",
                ));
            }
            code(&rest[2..2 + n], 16, 4 + n)
        }
        'u' => {
            let n = hex_run(1, 4);
            if n < 4 {
                return Err(SyntaxError::new(
                    at(start, start + 2 + n),
                    "`\\u` needs four hex digits (`\\u001b`) or braces (`\\u{1b}`)",
                ));
            }
            code(&rest[1..5], 16, 6)
        }
        other => Err(SyntaxError::new(
            at(start, start + 1 + other.len_utf8()),
            format!("unknown escape `\\{}` in a string", other.escape_debug()),
        )
        .with_help(
            "known escapes: \\n \\t \\r \\\\ \\\" \\' \\{ \\} \\xHH \\uHHHH \\u{H…} and octal \\ooo (\\0, \\033)",
        )),
    }
}

/// The body of a `b"…"` literal: ASCII text and the escapes of `decode`,
/// each giving one byte (so at most `\xff`).
pub fn bytes(body: &str, at: impl Fn(usize, usize) -> Span) -> Result<Vec<u8>, SyntaxError> {
    if let Some((i, c)) = body.char_indices().find(|(_, c)| !c.is_ascii()) {
        return Err(SyntaxError::new(
            at(i, i + c.len_utf8()),
            format!("`{c}` is not ASCII: a bytes literal holds ASCII only"),
        )
        .with_help("write other bytes as escapes (`b\"\\xc3\\xa9\"`), or encode a string: `\"é\".encode()`"));
    }
    let mut out = Vec::with_capacity(body.len());
    let b = body.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let (c, len) = one(body, i, &at)?;
        if c as u32 > 0xff {
            return Err(SyntaxError::new(
                at(i, i + len),
                format!("escape `{}` is beyond `\\xff`: a bytes literal holds bytes", &body[i..i + len]),
            ));
        }
        out.push(c as u32 as u8);
        i += len;
    }
    Ok(out)
}

/// The body of a plain `'…'` string: only `\\` and `\'` are escapes.
pub fn plain(body: &str, at: impl Fn(usize, usize) -> Span) -> Result<String, SyntaxError> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '\\')) => out.push('\\'),
            Some((_, '\'')) => out.push('\''),
            Some((j, other)) => {
                return Err(SyntaxError::new(
                    at(i, j + other.len_utf8()),
                    format!("`\\{}` is not an escape in a plain '…' string", other.escape_debug()),
                )
                .with_help("in '…' only \\\\ and \\' are escapes; use \"…\" for \\n, \\t, \\x1b and the rest"))
            }
            None => out.push('\\'),
        }
    }
    Ok(out)
}
