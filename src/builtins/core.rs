//! Core builtins: printing, conversion, numbers, randomness, errors, time.

use super::BResult;
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Host;
use crate::value::{self, compare, display, type_name, Args, BuiltinFn, Range, Value};
use std::cmp::Ordering;

pub const BUILTINS: &[(&str, BuiltinFn)] = &[
    ("print", print),
    ("len", len),
    ("str", str_),
    ("int", int),
    ("float", float),
    ("bool", bool_),
    ("type", type_),
    ("range", range),
    ("sleep", sleep),
    ("time", time),
    ("rand", rand),
    ("rand_int", rand_int),
    ("rand_float", rand_float),
    ("sorted", sorted),
    ("sum", sum),
    ("min", min),
    ("max", max),
    ("abs", abs),
    ("round", round),
    ("assert", assert),
    ("error", error),
    ("exit", exit),
];

fn print(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, usize::MAX, &["sep", "end"])?;
    let sep = match a.kw("sep") {
        Some(v) => display(v),
        None => " ".into(),
    };
    let end = match a.kw("end") {
        Some(v) => display(v),
        None => "\n".into(),
    };
    let mut line = String::new();
    for (i, v) in a.pos.iter().enumerate() {
        if i > 0 {
            line.push_str(&sep);
        }
        match v {
            Value::Str(s) => line.push_str(s),
            other => line.push_str(&display(other)),
        }
    }
    line.push_str(&end);
    crate::runtime::output::print_line(interp, &line)?;
    Ok(Value::Nil)
}

fn len(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 1, &[])?;
    let n = match a.get(0) {
        Value::Str(s) => s.chars().count(),
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.borrow().len(),
        Value::Dict(d) => d.borrow().len(),
        Value::Range(r) => r.len(),
        Value::Handle(h) => return crate::runtime::len(h),
        other => {
            return Err(ErrorObj::new(ErrorKind::TypeError, format!("len() of {} is not defined", type_name(other))))
        }
    };
    Ok(Value::Int(n as i64))
}

fn str_(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 1, &[])?;
    Ok(Value::Str(display(a.get(0)).into()))
}

fn int(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 2, &["base"])?;
    let base = match a.opt(1, "base") {
        Some(b) => {
            let b = value::expect_int(b, "int", "base")?;
            if b != 0 && !(2..=36).contains(&b) {
                return Err(ErrorObj::new(ErrorKind::ValueError, "int() base must be >= 2 and <= 36, or 0"));
            }
            if !matches!(a.get(0), Value::Str(_)) {
                return Err(ErrorObj::new(ErrorKind::TypeError, "int() can't convert non-string with explicit base"));
            }
            b as u32
        }
        None => 10,
    };
    match a.get(0) {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::Bool(b) => Ok(Value::Int(*b as i64)),
        Value::Float(f) => {
            if !f.is_finite() || f.abs() >= 9.2e18 {
                return Err(ErrorObj::new(
                    ErrorKind::ValueError,
                    format!("cannot convert {} to int", display(&Value::Float(*f))),
                ));
            }
            Ok(Value::Int(f.trunc() as i64))
        }
        Value::Str(s) => parse_int(s, base).map(Value::Int).ok_or_else(|| {
            let within = if base == 10 { String::new() } else { format!(" in base {base}") };
            ErrorObj::new(ErrorKind::ValueError, format!("invalid int{within}: {}", value::repr(a.get(0))))
        }),
        other => Err(ErrorObj::new(ErrorKind::TypeError, format!("int() cannot convert {}", type_name(other)))),
    }
}

/// Python's `int(text, base)`: an optional sign, a `0x`/`0o`/`0b` prefix
/// that matches the base (base 0 takes the base from it; no prefix is
/// decimal), `_` between digits. `None` if invalid or too large.
fn parse_int(text: &str, base: u32) -> Option<i64> {
    let t = text.trim();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = t.get(..2).map(|p| p.to_ascii_lowercase());
    let prefixed = match lower.as_deref() {
        Some("0x") => Some(16),
        Some("0o") => Some(8),
        Some("0b") => Some(2),
        _ => None,
    };
    let (base, digits) = match (base, prefixed) {
        (0, Some(b)) => (b, &t[2..]),
        (0, None) => {
            // Base 0 forbids a leading zero on a non-zero decimal ("010").
            if t.len() > 1 && t.starts_with('0') && !t.trim_start_matches(['0', '_']).is_empty() {
                return None;
            }
            (10, t)
        }
        (b, Some(p)) if b == p => (b, &t[2..]),
        (b, _) => (b, t),
    };
    // `_` only between digits (after a prefix, also right after it).
    let digits = digits.strip_prefix('_').filter(|_| prefixed.is_some()).unwrap_or(digits);
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = u64::from_str_radix(&clean, base).ok()?;
    if neg {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

fn float(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 1, &[])?;
    match a.get(0) {
        Value::Int(i) => Ok(Value::Float(*i as f64)),
        Value::Float(f) => Ok(Value::Float(*f)),
        Value::Bool(b) => Ok(Value::Float(*b as i64 as f64)),
        Value::Str(s) => s
            .trim()
            .parse::<f64>()
            .map(Value::Float)
            .map_err(|_| ErrorObj::new(ErrorKind::ValueError, format!("invalid float: {}", value::repr(a.get(0))))),
        other => Err(ErrorObj::new(ErrorKind::TypeError, format!("float() cannot convert {}", type_name(other)))),
    }
}

fn bool_(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 1, &[])?;
    Ok(Value::Bool(a.get(0).truthy()))
}

fn type_(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 1, &[])?;
    Ok(Value::str(type_name(a.get(0))))
}

fn range(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 3, &[])?;
    let (start, end) =
        if a.pos.len() == 1 { (0, a.int(0, "the end")?) } else { (a.int(0, "the start")?, a.int(1, "the end")?) };
    if a.pos.len() == 3 {
        let step = a.int(2, "the step")?;
        if step == 0 {
            return Err(ErrorObj::new(ErrorKind::ValueError, "range() step must not be zero"));
        }
        let mut items = Vec::new();
        let mut i = start;
        while (step > 0 && i < end) || (step < 0 && i > end) {
            items.push(Value::Int(i));
            i = match i.checked_add(step) {
                Some(n) => n,
                None => break,
            };
        }
        return Ok(Value::list(items));
    }
    Ok(Value::Range(Range { start, end, inclusive: false }))
}

fn sleep(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 1, &[])?;
    let secs = a.float(0, "seconds")?;
    if secs.is_nan() || secs < 0.0 {
        return Err(ErrorObj::new(ErrorKind::ValueError, "sleep() needs a non-negative number of seconds"));
    }
    crate::runtime::sleep(interp, secs)?;
    Ok(Value::Nil)
}

fn time(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    if let Some(t) = crate::runtime::explore::now() {
        return Ok(Value::Float(t)); // virtual time under `explore`
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Ok(Value::Float(now.as_secs_f64()))
}

fn rand(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    Ok(Value::Float(interp.rng.f64()))
}

fn rand_int(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(2, 2, &[])?;
    let (lo, hi) = (a.int(0, "low")?, a.int(1, "high")?);
    if lo > hi {
        return Err(ErrorObj::new(ErrorKind::ValueError, format!("rand_int(): low {lo} is above high {hi}")));
    }
    Ok(Value::Int(interp.rng.i64(lo..=hi)))
}

fn rand_float(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(2, 2, &[])?;
    let (lo, hi) = (a.float(0, "low")?, a.float(1, "high")?);
    Ok(Value::Float(lo + (hi - lo) * interp.rng.f64()))
}

pub(crate) use crate::value::items_of;

/// Sort values, optionally by `key(v)`; an unorderable pair is a TypeError.
pub(crate) fn sort_values(
    interp: &mut dyn Host,
    items: &mut Vec<Value>,
    key: Option<&Value>,
    reverse: bool,
    span: crate::syntax::span::Span,
) -> Result<(), Box<ErrorObj>> {
    let keys: Vec<Value> = match key {
        Some(k) if !matches!(k, Value::Nil) => {
            items.iter().map(|v| interp.call_function(k, vec![v.clone()], span)).collect::<Result<_, _>>()?
        }
        _ => items.clone(),
    };
    let mut failed = None;
    let mut idx: Vec<usize> = (0..items.len()).collect();
    idx.sort_by(|&i, &j| {
        compare(&keys[i], &keys[j]).unwrap_or_else(|| {
            failed.get_or_insert((type_name(&keys[i]), type_name(&keys[j])));
            Ordering::Equal
        })
    });
    if let Some((x, y)) = failed {
        return Err(ErrorObj::new(ErrorKind::TypeError, format!("cannot order {x} and {y}")));
    }
    if reverse {
        idx.reverse();
    }
    let sorted: Vec<Value> = idx.into_iter().map(|i| items[i].clone()).collect();
    *items = sorted;
    Ok(())
}

fn sorted(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 1, &["key", "reverse"])?;
    let mut items = super::iter::items_in(interp, a.get(0), "sorted")?;
    let reverse = a.kw("reverse").is_some_and(|v| v.truthy());
    sort_values(interp, &mut items, a.kw("key"), reverse, a.span)?;
    Ok(Value::list(items))
}

fn sum(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 2, &["start"])?;
    let mut total = a.opt(1, "start").cloned().unwrap_or(Value::Int(0));
    if let Value::Range(r) = a.get(0) {
        if let Value::Int(t) = total {
            let n = r.len() as i128;
            let s = (r.start as i128 * 2 + n - 1) * n / 2 + t as i128;
            return i64::try_from(s)
                .map(Value::Int)
                .map_err(|_| ErrorObj::new(ErrorKind::OverflowError, "integer overflow in sum()"));
        }
    }
    for v in super::iter::items_in(interp, a.get(0), "sum")? {
        total = value::binary_op(crate::syntax::ast::BinOp::Add, &total, &v)?;
    }
    Ok(total)
}

fn extreme(interp: &mut dyn Host, a: &mut Args, want: Ordering) -> BResult {
    a.check(1, usize::MAX, &["key", "default"])?;
    let items = if a.pos.len() == 1 { super::iter::items_in(interp, a.get(0), &a.func())? } else { a.pos.clone() };
    let key = a.kw("key").cloned();
    let mut best: Option<(Value, Value)> = None;
    for v in items {
        let k = match &key {
            Some(f) => interp.call_function(f, vec![v.clone()], a.span)?,
            None => v.clone(),
        };
        let better = match &best {
            None => true,
            Some((bk, _)) => {
                compare(&k, bk).ok_or_else(|| {
                    ErrorObj::new(ErrorKind::TypeError, format!("cannot order {} and {}", type_name(&k), type_name(bk)))
                })? == want
            }
        };
        if better {
            best = Some((k, v));
        }
    }
    match best {
        Some((_, v)) => Ok(v),
        None => a
            .kw("default")
            .cloned()
            .ok_or_else(|| ErrorObj::new(ErrorKind::ValueError, format!("{}() of an empty sequence", a.func()))),
    }
}

fn min(interp: &mut dyn Host, a: &mut Args) -> BResult {
    extreme(interp, a, Ordering::Less)
}

fn max(interp: &mut dyn Host, a: &mut Args) -> BResult {
    extreme(interp, a, Ordering::Greater)
}

fn abs(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 1, &[])?;
    match a.get(0) {
        Value::Int(i) => i
            .checked_abs()
            .map(Value::Int)
            .ok_or_else(|| ErrorObj::new(ErrorKind::OverflowError, "integer overflow in abs()")),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        other => Err(value::wrong_type("abs", "the argument", "a number", other)),
    }
}

fn round(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 2, &["ndigits"])?;
    let x = a.float(0, "the number")?;
    match a.opt(1, "ndigits") {
        None | Some(Value::Nil) => {
            if let Value::Int(i) = a.get(0) {
                return Ok(Value::Int(*i));
            }
            let r = x.round_ties_even();
            if !r.is_finite() || r.abs() >= 9.2e18 {
                return Err(ErrorObj::new(ErrorKind::ValueError, "cannot round this number to an int"));
            }
            Ok(Value::Int(r as i64))
        }
        Some(n) => {
            let n = value::expect_int(n, "round", "ndigits")?.clamp(-300, 300) as i32;
            let scale = 10f64.powi(n);
            Ok(Value::Float((x * scale).round_ties_even() / scale))
        }
    }
}

fn assert(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 2, &[])?;
    if a.get(0).truthy() {
        return Ok(Value::Nil);
    }
    let msg = match a.pos.get(1) {
        Some(m) => display(m),
        None => "assertion failed".into(),
    };
    Err(ErrorObj::new(ErrorKind::AssertionError, msg))
}

fn error(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 2, &[])?;
    let (kind, message) =
        if a.pos.len() == 2 { (a.string(0, "kind")?, display(a.get(1))) } else { ("Error".into(), display(a.get(0))) };
    let mut e = ErrorObj::new(ErrorKind::user(&kind), message);
    e.process = Some(interp.process.clone());
    Ok(Value::Error(std::rc::Rc::new(*e)))
}

/// `exit(code)`: the status is `code & 0xFF`, the rule of the OS (and of
/// Python), the same in every process: `exit(-1)` is 255, `exit(256)` is 0.
fn exit(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 1, &[])?;
    let code = match a.get(0) {
        Value::Nil => 0,
        Value::Int(i) => (*i & 0xFF) as i32,
        Value::Bool(b) => *b as i32,
        other => return Err(value::wrong_type("exit", "the code", "an int", other)),
    };
    Err(crate::eval::exit_error(code))
}
