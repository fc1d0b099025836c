//! Python's format-spec mini-language, for `"{x:spec}"` and `str.format`:
//! `[[fill]align][sign][#][0][width][grouping][.precision][type]` with align
//! `< > ^ =`, sign `+ - space`, grouping `,` or `_`, and types
//! `s d n b o x X c e E f F g G %` or none. Width and precision are at
//! most `MAX_WIDTH` (a `ValueError` beyond, where Python would try to build
//! the string and fail with `MemoryError`).

use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::value::{display, type_name, Value};

/// The largest width or precision a spec may ask for.
pub const MAX_WIDTH: usize = 1_000_000;

use crate::diagnostics::R;

fn bad(msg: impl Into<String>) -> Box<ErrorObj> {
    ErrorObj::new(ErrorKind::ValueError, msg)
}

#[derive(Default)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    alt: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    ty: Option<char>,
}

fn number(chars: &[char], i: &mut usize, what: &str) -> R<Option<usize>> {
    let start = *i;
    while chars.get(*i).is_some_and(|c| c.is_ascii_digit()) {
        *i += 1;
    }
    if *i == start {
        return Ok(None);
    }
    let text: String = chars[start..*i].iter().collect();
    match text.parse::<usize>() {
        Ok(n) if n <= MAX_WIDTH => Ok(Some(n)),
        _ => Err(bad(format!("format {what} {text} is too large (the limit is {MAX_WIDTH})"))),
    }
}

fn parse(spec: &str) -> R<Spec> {
    let chars: Vec<char> = spec.chars().collect();
    let mut s = Spec::default();
    let mut i = 0;
    let is_align = |c: Option<&char>| matches!(c, Some('<' | '>' | '^' | '='));
    if chars.len() >= 2 && is_align(chars.get(1)) {
        s.fill = Some(chars[0]);
        s.align = Some(chars[1]);
        i = 2;
    } else if is_align(chars.first()) {
        s.align = Some(chars[0]);
        i = 1;
    }
    if let Some(c @ ('+' | '-' | ' ')) = chars.get(i) {
        s.sign = Some(*c);
        i += 1;
    }
    if chars.get(i) == Some(&'#') {
        s.alt = true;
        i += 1;
    }
    if chars.get(i) == Some(&'0') {
        s.zero = true;
        i += 1;
    }
    s.width = number(&chars, &mut i, "width")?.unwrap_or(0);
    if let Some(c @ (',' | '_')) = chars.get(i) {
        s.grouping = Some(*c);
        i += 1;
    }
    if chars.get(i) == Some(&'.') {
        i += 1;
        s.precision =
            Some(number(&chars, &mut i, "precision")?.ok_or_else(|| bad("Format specifier missing precision"))?);
    }
    if let Some(c) = chars.get(i) {
        s.ty = Some(*c);
        i += 1;
    }
    if i != chars.len() {
        return Err(bad(format!("Invalid format specifier '{spec}'")));
    }
    if let (Some(g), Some(t)) = (s.grouping, s.ty) {
        let ok = match g {
            ',' => matches!(t, 'd' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%'),
            _ => matches!(t, 'd' | 'b' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%'),
        };
        if !ok {
            return Err(bad(format!("Cannot specify '{g}' with '{t}'.")));
        }
    }
    Ok(s)
}

/// `v` formatted by `spec` (the text after the `:` of a field).
pub fn format_spec(v: &Value, spec: &str) -> R<String> {
    if spec.is_empty() {
        return Ok(display(v));
    }
    let s = parse(spec)?;
    let unknown = |t: char| bad(format!("Unknown format code '{t}' for object of type '{}'", type_name(v)));
    match v {
        Value::Int(_) | Value::Bool(_) | Value::Float(_) => {}
        _ => {
            if let Some(t) = s.ty.filter(|t| *t != 's') {
                return Err(unknown(t));
            }
            if s.sign.is_some() {
                return Err(bad("Sign not allowed in string format specifier"));
            }
            if s.alt {
                return Err(bad("Alternate form (#) not allowed in string format specifier"));
            }
            if s.align == Some('=') {
                return Err(bad("'=' alignment not allowed in string format specifier"));
            }
            if s.grouping.is_some() {
                return Err(bad(format!("Cannot specify '{}' with 's'.", s.grouping.unwrap_or(','))));
            }
            let text = display(v);
            let text = match s.precision {
                Some(p) => text.chars().take(p).collect(),
                None => text,
            };
            return Ok(pad(&s, "", &text, '<'));
        }
    }
    // Numbers: a sign and prefix, then the digits.
    let (negative, prefix, digits) = match (v, s.ty) {
        // A bool keeps its text (`true`) unless a numeric type is given.
        (Value::Bool(b), None | Some('s')) => {
            return Ok(pad(&s, "", &display(&Value::Bool(*b)), '<'));
        }
        (Value::Int(_) | Value::Bool(_), None | Some('d' | 'n' | 'b' | 'o' | 'x' | 'X' | 'c')) => {
            let n = match v {
                Value::Int(i) => *i,
                Value::Bool(b) => *b as i64,
                _ => unreachable!(),
            };
            if s.precision.is_some() {
                return Err(bad("Precision not allowed in integer format specifier"));
            }
            let ty = s.ty.unwrap_or('d');
            if ty == 'c' {
                if s.sign.is_some() {
                    return Err(bad("Sign not allowed with integer format specifier 'c'"));
                }
                let c = u32::try_from(n)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| ErrorObj::new(ErrorKind::OverflowError, "%c arg not in range(0x110000)"))?;
                return Ok(pad(&s, "", &c.to_string(), '<'));
            }
            let m = n.unsigned_abs();
            let (body, pre, group) = match ty {
                'b' => (format!("{m:b}"), "0b", 4),
                'o' => (format!("{m:o}"), "0o", 4),
                'x' => (format!("{m:x}"), "0x", 4),
                'X' => (format!("{m:X}"), "0X", 4),
                _ => (m.to_string(), "", 3),
            };
            let body = match s.grouping {
                Some(g) => group_digits(&body, g, group),
                None => body,
            };
            (n < 0, if s.alt { pre } else { "" }, body)
        }
        (
            Value::Int(_) | Value::Bool(_) | Value::Float(_),
            None | Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%' | 'n'),
        ) => {
            let x = match v {
                Value::Int(i) => *i as f64,
                Value::Bool(b) => *b as i64 as f64,
                Value::Float(f) => *f,
                _ => unreachable!(),
            };
            let body = float_body(x.abs(), &s, matches!(v, Value::Float(_)));
            let body = match s.grouping {
                Some(g) => {
                    let end = body.find(|c: char| !c.is_ascii_digit()).unwrap_or(body.len());
                    format!("{}{}", group_digits(&body[..end], g, 3), &body[end..])
                }
                None => body,
            };
            (x.is_sign_negative() && !x.is_nan(), "", body)
        }
        (_, t) => return Err(unknown(t.unwrap_or('s'))),
    };
    let sign = match (negative, s.sign) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(' ')) => " ",
        _ => "",
    };
    Ok(pad(&s, &format!("{sign}{prefix}"), &digits, '>'))
}

/// The digits of a non-negative float (or `inf`/`nan`) for a float type.
fn float_body(x: f64, s: &Spec, is_float: bool) -> String {
    let upper = matches!(s.ty, Some('E' | 'F' | 'G'));
    let text = if !x.is_finite() {
        if x.is_nan() { "nan" } else { "inf" }.to_string()
    } else {
        match s.ty {
            Some('f' | 'F') => fixed(x, s.precision.unwrap_or(6)),
            Some('%') => format!("{}%", fixed(x * 100.0, s.precision.unwrap_or(6))),
            Some('e' | 'E') => sci(x, s.precision.unwrap_or(6)),
            Some('g' | 'G' | 'n') => general(x, s.precision.unwrap_or(6), s.alt),
            // No type: as `str()` without a precision, else like `g` but a
            // fixed-point result keeps a `.0`.
            _ => match s.precision {
                None if is_float => display(&Value::Float(x)),
                None => fixed(x, 0),
                Some(p) => {
                    let g = general(x, p, s.alt);
                    if g.contains(['.', 'e']) {
                        g
                    } else {
                        format!("{g}.0")
                    }
                }
            },
        }
    };
    if upper {
        text.to_uppercase()
    } else {
        text
    }
}

/// Digits that an f64 can have beyond which its exact decimal expansion is
/// all zeros: precisions beyond it are padded with zeros instead of asking
/// Rust's formatter (whose precision is limited) for them.
const EXACT_DIGITS: usize = 1100;

fn fixed(x: f64, p: usize) -> String {
    let mut t = format!("{:.*}", p.min(EXACT_DIGITS), x);
    t.extend(std::iter::repeat_n('0', p.saturating_sub(EXACT_DIGITS)));
    t
}

/// `d.ddde+XX` as Python writes it: at least two exponent digits, a sign.
fn sci(x: f64, p: usize) -> String {
    let t = format!("{:.*e}", p.min(EXACT_DIGITS), x);
    let (mant, exp) = t.split_once('e').unwrap_or((&t, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let zeros: String = std::iter::repeat_n('0', p.saturating_sub(EXACT_DIGITS)).collect();
    format!("{mant}{zeros}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// Python's `g`: `p` significant digits, fixed or scientific by the
/// exponent, trailing zeros removed unless `#`.
fn general(x: f64, p: usize, alt: bool) -> String {
    let p = p.max(1);
    let probe = format!("{:.*e}", (p - 1).min(EXACT_DIGITS), x);
    let exp: i64 = probe.split_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0);
    let mut t = if -4 <= exp && exp < p as i64 { fixed(x, (p as i64 - 1 - exp) as usize) } else { sci(x, p - 1) };
    if !alt {
        let (mant, rest) = match t.find('e') {
            Some(i) => (t[..i].to_string(), t[i..].to_string()),
            None => (t.clone(), String::new()),
        };
        let mant = if mant.contains('.') { mant.trim_end_matches('0').trim_end_matches('.').to_string() } else { mant };
        t = format!("{mant}{rest}");
    }
    t
}

/// `1234567` → `1,234,567` (every `every` digits from the right).
fn group_digits(digits: &str, sep: char, every: usize) -> String {
    let n = digits.chars().count();
    let mut out = String::with_capacity(n + n / every);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(every) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// Pad `sign_prefix` + `body` to the width, by the alignment (`default`
/// when none is given; `0` means fill `0` with `=` for numbers).
fn pad(s: &Spec, sign_prefix: &str, body: &str, default: char) -> String {
    let len = sign_prefix.chars().count() + body.chars().count();
    let (mut fill, mut align) = (s.fill.unwrap_or(' '), s.align.unwrap_or(default));
    if s.zero && s.fill.is_none() && s.align.is_none() {
        fill = '0';
        if default == '>' {
            align = '=';
        }
    }
    if len >= s.width {
        return format!("{sign_prefix}{body}");
    }
    let n = s.width - len;
    let rep = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    match align {
        '<' => format!("{sign_prefix}{body}{}", rep(n)),
        '^' => format!("{}{sign_prefix}{body}{}", rep(n / 2), rep(n - n / 2)),
        '=' => format!("{sign_prefix}{}{body}", rep(n)),
        _ => format!("{}{sign_prefix}{body}", rep(n)),
    }
}
