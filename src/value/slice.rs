//! Python slices `xs[start:stop:step]`: `indices` turns the three optional
//! bounds into the positions they select (clamped, negatives counted from
//! the end, any step but 0); `pick` applies them to any slice of items, so
//! lists, strings (by character) and bytes share one implementation.

use super::{display::type_name, Value};
use crate::diagnostics::{ErrorKind, ErrorObj};

/// The positions `start:stop:step` selects in a sequence of `len` items.
pub fn indices(
    len: usize,
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
) -> Result<impl Iterator<Item = usize>, Box<ErrorObj>> {
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err(ErrorObj::new(ErrorKind::ValueError, "slice step cannot be zero"));
    }
    let len = len as i64;
    // CPython's PySlice_AdjustIndices.
    let adjust = |v: Option<i64>, default: i64| -> i64 {
        match v {
            None => default,
            Some(v) if v < 0 => {
                let v = v.saturating_add(len);
                if v < 0 {
                    if step < 0 {
                        -1
                    } else {
                        0
                    }
                } else {
                    v
                }
            }
            Some(v) if v >= len => {
                if step < 0 {
                    len - 1
                } else {
                    len
                }
            }
            Some(v) => v,
        }
    };
    let (a, b) =
        if step > 0 { (adjust(start, 0), adjust(stop, len)) } else { (adjust(start, len - 1), adjust(stop, -1)) };
    let count = if step > 0 {
        if b > a {
            (b - a - 1) / step + 1
        } else {
            0
        }
    } else if a > b {
        (a - b - 1) / (-step) + 1
    } else {
        0
    };
    Ok((0..count).map(move |k| (a + k * step) as usize))
}

/// The items of `items` that `start:stop:step` selects.
pub fn pick<T: Clone>(
    items: &[T],
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
) -> Result<Vec<T>, Box<ErrorObj>> {
    Ok(indices(items.len(), start, stop, step)?.map(|i| items[i].clone()).collect())
}

/// `v[start:stop:step]` for a list, a string or a range.
pub fn slice_value(
    v: &Value,
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
) -> Result<Value, Box<ErrorObj>> {
    match v {
        Value::List(items) => Ok(Value::list(pick(&items.borrow(), start, stop, step)?)),
        Value::Str(s) => {
            if s.is_ascii() {
                let picked = pick(s.as_bytes(), start, stop, step)?;
                return Ok(Value::Str(String::from_utf8(picked).expect("ASCII stays ASCII").into()));
            }
            let chars: Vec<char> = s.chars().collect();
            Ok(Value::Str(pick(&chars, start, stop, step)?.into_iter().collect::<String>().into()))
        }
        Value::Bytes(b) => Ok(Value::Bytes(pick(b, start, stop, step)?.into())),
        Value::Range(r) => {
            let picked = indices(r.len(), start, stop, step)?.map(|i| Value::Int(r.start + i as i64)).collect();
            Ok(Value::list(picked))
        }
        other => Err(ErrorObj::new(ErrorKind::TypeError, format!("{} cannot be sliced", type_name(other)))),
    }
}
