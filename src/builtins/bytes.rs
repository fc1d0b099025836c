//! The `bytes` value's constructor and methods, and `str.encode()`: what a
//! socket sends and receives. Bytes are immutable; every method gives a
//! new value.

use super::{no_method, BResult};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Host;
use crate::syntax::member::Member;
use crate::value::{self, expect_int, type_name, Args, BuiltinFn, Value};

pub const BUILTINS: &[(&str, BuiltinFn)] = &[("bytes", bytes)];

/// `bytes()`, `bytes([104, 105])`, `bytes(3)` (three zero bytes),
/// `bytes("hé", "utf-8")`, `bytes(b)`.
fn bytes(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 2, &["encoding"])?;
    let out: Vec<u8> = match a.get(0) {
        Value::Nil if a.pos.is_empty() => Vec::new(),
        Value::Bytes(b) => b.to_vec(),
        Value::Str(s) => {
            match a.opt(1, "encoding") {
                Some(e) => check_encoding(e, "bytes")?,
                None => {
                    return Err(ErrorObj::new(ErrorKind::TypeError, "bytes(): a str needs an encoding")
                        .with_help("write `s.encode()` or `bytes(s, \"utf-8\")`"))
                }
            }
            s.as_bytes().to_vec()
        }
        Value::Int(n) => {
            if *n < 0 {
                return Err(ErrorObj::new(ErrorKind::ValueError, "bytes(): negative count"));
            }
            vec![0; value::check_str_size(Some(*n as usize))?]
        }
        v @ (Value::List(_) | Value::Range(_)) => {
            let items = value::items_of(v, "bytes")?;
            let mut out = Vec::with_capacity(items.len());
            for x in &items {
                let n = expect_int(x, "bytes", "each item")?;
                out.push(byte(n)?);
            }
            out
        }
        other => {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("bytes() needs a list of ints, a str and its encoding, or a count, not {}", type_name(other)),
            ))
        }
    };
    Ok(Value::Bytes(out.into()))
}

fn byte(n: i64) -> Result<u8, Box<ErrorObj>> {
    u8::try_from(n)
        .map_err(|_| ErrorObj::new(ErrorKind::ValueError, format!("bytes must be in range(0, 256), not {n}")))
}

/// Only UTF-8 (and its ASCII subset) is known.
fn check_encoding(v: &Value, func: &str) -> Result<(), Box<ErrorObj>> {
    let name = value::expect_str(v, func, "encoding")?;
    match name.to_ascii_lowercase().replace('_', "-").as_str() {
        "utf-8" | "utf8" | "ascii" => Ok(()),
        _ => Err(ErrorObj::new(ErrorKind::ValueError, format!("{func}(): unknown encoding `{name}`"))
            .with_help("mpscript knows \"utf-8\" only")),
    }
}

/// `s.encode(encoding="utf-8")`.
pub fn encode(s: &str, a: &mut Args) -> BResult {
    a.check(0, 1, &["encoding"])?;
    if let Some(e) = a.opt(0, "encoding") {
        check_encoding(e, &a.func())?;
    }
    Ok(Value::Bytes(s.as_bytes().into()))
}

/// Methods of bytes.
pub fn bytes_method(b: &[u8], m: &Member, a: &mut Args) -> BResult {
    Ok(match m {
        Member::Decode => {
            a.check(0, 1, &["encoding"])?;
            if let Some(e) = a.opt(0, "encoding") {
                check_encoding(e, &a.func())?;
            }
            match std::str::from_utf8(b) {
                Ok(s) => Value::str(s),
                Err(e) => {
                    let at = e.valid_up_to();
                    return Err(ErrorObj::new(
                        ErrorKind::UnicodeDecodeError,
                        format!("bytes.decode(): byte 0x{:02x} at position {at} is not valid UTF-8", b[at]),
                    ));
                }
            }
        }
        Member::Hex => {
            a.check(0, 0, &[])?;
            Value::str(&b.iter().map(|x| format!("{x:02x}")).collect::<String>())
        }
        Member::Find
        | Member::Index
        | Member::Count
        | Member::StartsWith
        | Member::EndsWith
        | Member::Startswith
        | Member::Endswith => {
            a.check(1, 1, &[])?;
            let needle: Vec<u8> = match a.get(0) {
                Value::Bytes(n) => n.to_vec(),
                Value::Int(n) => vec![byte(*n)?],
                other => return Err(value::wrong_type(&a.func(), "the argument", "bytes or an int", other)),
            };
            let at = |from: usize| -> Option<usize> {
                if needle.is_empty() {
                    return Some(from.min(b.len()));
                }
                b.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
            };
            match m {
                Member::Find => Value::Int(at(0).map_or(-1, |i| i as i64)),
                Member::Index => Value::Int(at(0).ok_or_else(|| {
                    ErrorObj::new(ErrorKind::ValueError, format!("{} is not in the bytes", value::repr(a.get(0))))
                })? as i64),
                Member::Count if needle.is_empty() => Value::Int(b.len() as i64 + 1),
                Member::Count => {
                    let (mut n, mut from) = (0, 0);
                    while let Some(i) = at(from) {
                        n += 1;
                        from = i + needle.len();
                    }
                    Value::Int(n)
                }
                Member::StartsWith | Member::Startswith => Value::Bool(b.starts_with(&needle)),
                _ => Value::Bool(b.ends_with(&needle)),
            }
        }
        Member::Strip => {
            a.check(0, 0, &[])?;
            let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
            let end = b.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(start, |i| i + 1);
            Value::Bytes(b[start..end].into())
        }
        Member::Upper => {
            a.check(0, 0, &[])?;
            Value::Bytes(b.to_ascii_uppercase().into())
        }
        Member::Lower => {
            a.check(0, 0, &[])?;
            Value::Bytes(b.to_ascii_lowercase().into())
        }
        _ => return Err(no_method(&Value::Bytes(b.into()), m.as_str())),
    })
}
