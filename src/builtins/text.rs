//! Methods of strings, and `format` with Python-style `{}` fields.

use super::{no_method, BResult};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Host;
use crate::syntax::member::Member;
use crate::value::{self, display, Args, Str, Value};

pub fn str_method(_: &mut dyn Host, s: &Str, m: &Member, a: &mut Args) -> BResult {
    let text = &**s;
    Ok(match m {
        Member::Len => {
            a.check(0, 0, &[])?;
            Value::Int(text.chars().count() as i64)
        }
        Member::Upper => {
            a.check(0, 0, &[])?;
            Value::str(&text.to_uppercase())
        }
        Member::Lower => {
            a.check(0, 0, &[])?;
            Value::str(&text.to_lowercase())
        }
        Member::Strip | Member::Lstrip | Member::Rstrip => {
            a.check(0, 1, &[])?;
            let chars: Option<Vec<char>> = match a.get(0) {
                Value::Nil => None,
                _ => Some(a.string(0, "chars")?.chars().collect()),
            };
            let pat = |c: char| match &chars {
                Some(cs) => cs.contains(&c),
                None => c.is_whitespace(),
            };
            Value::str(match m {
                Member::Strip => text.trim_matches(pat),
                Member::Lstrip => text.trim_start_matches(pat),
                _ => text.trim_end_matches(pat),
            })
        }
        Member::Split => {
            a.check(0, 2, &["sep", "maxsplit"])?;
            let max = match a.opt(1, "maxsplit") {
                Some(Value::Int(i)) => *i,
                Some(v) if !matches!(v, Value::Nil) => value::expect_int(v, &a.func(), "maxsplit")?,
                _ => -1,
            };
            let parts: Vec<Value> = match a.opt(0, "sep") {
                None | Some(Value::Nil) => {
                    if max < 0 {
                        text.split_whitespace().map(Value::str).collect()
                    } else {
                        let mut out = Vec::new();
                        let mut rest = text.trim_start();
                        while !rest.is_empty() && (out.len() as i64) < max {
                            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                            out.push(Value::str(&rest[..end]));
                            rest = rest[end..].trim_start();
                        }
                        if !rest.is_empty() {
                            out.push(Value::str(rest));
                        }
                        out
                    }
                }
                Some(sep) => {
                    let sep = match sep {
                        Value::Str(s) => s.clone(),
                        other => value::expect_str(other, &a.func(), "sep")?,
                    };
                    if sep.is_empty() {
                        return Err(ErrorObj::new(ErrorKind::ValueError, "split(): empty separator"));
                    }
                    if max < 0 {
                        text.split(&*sep).map(Value::str).collect()
                    } else {
                        text.splitn(max as usize + 1, &*sep).map(Value::str).collect()
                    }
                }
            };
            Value::list(parts)
        }
        Member::Join => {
            a.check(1, 1, &[])?;
            let items = super::core::items_of(a.get(0), "join")?;
            let parts: Vec<String> = items.iter().map(display).collect();
            Value::str(&parts.join(text))
        }
        Member::Replace => {
            a.check(2, 2, &[])?;
            let (from, to) = (a.string(0, "old")?, a.string(1, "new")?);
            Value::str(&text.replace(&*from, &to))
        }
        Member::StartsWith => {
            a.check(1, 1, &[])?;
            Value::Bool(text.starts_with(&*a.string(0, "prefix")?))
        }
        Member::EndsWith => {
            a.check(1, 1, &[])?;
            Value::Bool(text.ends_with(&*a.string(0, "suffix")?))
        }
        Member::Contains => {
            a.check(1, 1, &[])?;
            Value::Bool(text.contains(&*a.string(0, "the text")?))
        }
        Member::Index | Member::Find => {
            a.check(1, 1, &[])?;
            let needle = a.string(0, "the text")?;
            match text.find(&*needle) {
                Some(byte) => Value::Int(text[..byte].chars().count() as i64),
                None if *m == Member::Find => Value::Int(-1),
                None => {
                    return Err(ErrorObj::new(
                        ErrorKind::ValueError,
                        format!("{} is not in the string", value::repr(a.get(0))),
                    ))
                }
            }
        }
        Member::Count => {
            a.check(1, 1, &[])?;
            Value::Int(text.matches(&*a.string(0, "the text")?).count() as i64)
        }
        Member::Chars => {
            a.check(0, 0, &[])?;
            Value::list(text.chars().map(|c| Value::Str(c.to_string().into())).collect())
        }
        Member::Format => Value::str(&format(text, a)?),
        _ => return Err(no_method(&Value::Str(s.clone()), m.as_str())),
    })
}

/// `'{} and {name:>6.2f}'.format(1, name=2.5)`: positional `{}`/`{0}` and
/// named fields, with an optional `[[fill]align][width][.precision][type]`.
fn format(template: &str, a: &Args) -> Result<String, Box<ErrorObj>> {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    let mut auto = 0;
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut field = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) => field.push(ch),
                        None => return Err(ErrorObj::new(ErrorKind::ValueError, "format(): a `{` is never closed")),
                    }
                }
                let (name, spec) = field.split_once(':').unwrap_or((&field, ""));
                let v = if name.is_empty() {
                    auto += 1;
                    a.pos.get(auto - 1)
                } else if let Ok(i) = name.parse::<usize>() {
                    a.pos.get(i)
                } else {
                    a.kw(name)
                };
                let v = v.ok_or_else(|| {
                    ErrorObj::new(ErrorKind::IndexError, format!("format(): no value for field {{{name}}}"))
                })?;
                out.push_str(&apply_spec(v, spec)?);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn apply_spec(v: &Value, spec: &str) -> Result<String, Box<ErrorObj>> {
    super::fmtspec::format_spec(v, spec)
}
