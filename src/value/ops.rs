//! Operators on values: arithmetic (checked), comparison, equality and
//! membership — the semantics of LANGUAGE.md §4, independent of evaluation.

use super::{display::type_name, Key, Value};
use crate::diagnostics::ErrorObj;
use crate::syntax::ast::BinOp;
use std::cmp::Ordering;
use std::rc::Rc;

type R = Result<Value, Box<ErrorObj>>;

/// Structural equality; ints and floats compare by value.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            Rc::ptr_eq(x, y) || {
                let (x, y) = (x.borrow(), y.borrow());
                x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| values_equal(a, b))
            }
        }
        (Value::Dict(x), Value::Dict(y)) => {
            Rc::ptr_eq(x, y) || {
                let (x, y) = (x.borrow(), y.borrow());
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
            }
        }
        (Value::Range(x), Value::Range(y)) => x == y,
        (Value::Func(x), Value::Func(y)) => Rc::ptr_eq(x, y),
        (Value::Native(x), Value::Native(y)) => Rc::ptr_eq(x, y),
        (Value::Error(x), Value::Error(y)) => Rc::ptr_eq(x, y) || (x.kind == y.kind && x.message == y.message),
        (Value::Handle(x), Value::Handle(y)) => x == y,
        _ => false,
    }
}

/// Ordering for `<`, `sorted`, `min`, `max`: numbers, strings, and lists of
/// comparable items. `None` when the two cannot be ordered.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::List(x), Value::List(y)) => {
            let (x, y) = (x.borrow(), y.borrow());
            for (a, b) in x.iter().zip(y.iter()) {
                match compare(a, b)? {
                    Ordering::Equal => continue,
                    other => return Some(other),
                }
            }
            Some(x.len().cmp(&y.len()))
        }
        _ => None,
    }
}

fn type_error(op: BinOp, a: &Value, b: &Value) -> Box<ErrorObj> {
    let mut e = ErrorObj::new(
        "TypeError",
        format!("unsupported operand types for {}: {} and {}", op.symbol(), type_name(a), type_name(b)),
    );
    if op == BinOp::Add && (matches!(a, Value::Str(_)) || matches!(b, Value::Str(_))) {
        e.help = Some("to join text and a value, use interpolation: \"{x}\" or str(x)".into());
    }
    e
}

fn overflow(op: BinOp) -> Box<ErrorObj> {
    ErrorObj::new("OverflowError", format!("integer overflow in {}", op.symbol()))
}

fn zero_division(op: BinOp) -> Box<ErrorObj> {
    let what = match op {
        BinOp::Mod => "modulo by zero",
        BinOp::FloorDiv => "integer division by zero",
        _ => "division by zero",
    };
    ErrorObj::new("ZeroDivisionError", what)
}

/// Every binary operator except `and`/`or` (which short-circuit).
pub fn binary(op: BinOp, a: &Value, b: &Value) -> R {
    use Value::*;
    match op {
        BinOp::Eq => return Ok(Bool(values_equal(a, b))),
        BinOp::Ne => return Ok(Bool(!values_equal(a, b))),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = compare(a, b).ok_or_else(|| {
                ErrorObj::new("TypeError", format!("cannot compare {} {} {}", type_name(a), op.symbol(), type_name(b)))
            })?;
            return Ok(Bool(match op {
                BinOp::Lt => ord == Ordering::Less,
                BinOp::Le => ord != Ordering::Greater,
                BinOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }));
        }
        BinOp::In => return contains(b, a).map(Bool),
        _ => {}
    }
    match (a, b) {
        (Int(x), Int(y)) => int_arith(op, *x, *y),
        (Float(x), Float(y)) => float_arith(op, *x, *y),
        (Int(x), Float(y)) => float_arith(op, *x as f64, *y),
        (Float(x), Int(y)) => float_arith(op, *x, *y as f64),
        (Str(x), Str(y)) if op == BinOp::Add => {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            Ok(Str(s.into()))
        }
        (List(x), List(y)) if op == BinOp::Add => {
            let mut v = x.borrow().clone();
            v.extend(y.borrow().iter().cloned());
            Ok(Value::list(v))
        }
        (Str(s), Int(n)) | (Int(n), Str(s)) if op == BinOp::Mul => Ok(Str(s.repeat(repeat_count(*n, s.len())?).into())),
        (List(l), Int(n)) | (Int(n), List(l)) if op == BinOp::Mul => {
            let items = l.borrow();
            let n = repeat_count(*n, items.len())?;
            let mut v = Vec::with_capacity(items.len() * n);
            for _ in 0..n {
                v.extend(items.iter().cloned());
            }
            Ok(Value::list(v))
        }
        (Bool(_), _) | (_, Bool(_)) => {
            let as_num = |v: &Value| match v {
                Bool(b) => Int(*b as i64),
                other => other.clone(),
            };
            match (a, b) {
                (Bool(_), Bool(_)) | (Bool(_), Int(_) | Float(_)) | (Int(_) | Float(_), Bool(_)) => {
                    binary(op, &as_num(a), &as_num(b))
                }
                _ => Err(type_error(op, a, b)),
            }
        }
        _ => Err(type_error(op, a, b)),
    }
}

fn repeat_count(n: i64, unit: usize) -> Result<usize, Box<ErrorObj>> {
    let n = n.max(0) as usize;
    if n.saturating_mul(unit) > (1 << 32) {
        return Err(ErrorObj::new("ValueError", "repetition result is too large"));
    }
    Ok(n)
}

fn int_arith(op: BinOp, x: i64, y: i64) -> R {
    let v = match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::Div => {
            if y == 0 {
                return Err(zero_division(op));
            }
            return Ok(Value::Float(x as f64 / y as f64));
        }
        BinOp::FloorDiv => {
            if y == 0 {
                return Err(zero_division(op));
            }
            x.checked_div_euclid(y).map(|_| {
                let q = x / y;
                if (x % y != 0) && ((x < 0) != (y < 0)) {
                    q - 1
                } else {
                    q
                }
            })
        }
        BinOp::Mod => {
            if y == 0 {
                return Err(zero_division(op));
            }
            if y == -1 {
                // i64::MIN % -1 is 0, though the division itself overflows.
                return Ok(Value::Int(0));
            }
            x.checked_rem(y).map(|r| if r != 0 && ((r < 0) != (y < 0)) { r + y } else { r })
        }
        _ => unreachable!("not arithmetic"),
    };
    v.map(Value::Int).ok_or_else(|| overflow(op))
}

fn float_arith(op: BinOp, x: f64, y: f64) -> R {
    Ok(Value::Float(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div | BinOp::FloorDiv | BinOp::Mod if y == 0.0 => return Err(zero_division(op)),
        BinOp::Div => x / y,
        BinOp::FloorDiv => (x / y).floor(),
        BinOp::Mod => {
            let r = x % y;
            if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
                r + y
            } else {
                r
            }
        }
        _ => unreachable!("not arithmetic"),
    }))
}

/// `needle in haystack`.
pub fn contains(haystack: &Value, needle: &Value) -> Result<bool, Box<ErrorObj>> {
    Ok(match haystack {
        Value::List(items) => items.borrow().iter().any(|v| values_equal(v, needle)),
        Value::Dict(map) => match Key::from_value(needle) {
            Ok(k) => map.borrow().contains_key(&k),
            Err(_) => false,
        },
        Value::Str(s) => match needle {
            Value::Str(n) => s.contains(&**n),
            other => {
                return Err(ErrorObj::new(
                    "TypeError",
                    format!("`in <str>` needs a str on the left, not {}", type_name(other)),
                ))
            }
        },
        Value::Range(r) => match needle {
            Value::Int(i) => r.contains(*i),
            Value::Float(f) => f.fract() == 0.0 && r.contains(*f as i64),
            _ => false,
        },
        Value::Handle(h) => return crate::runtime::contains(h, needle),
        other => {
            return Err(ErrorObj::new(
                "TypeError",
                format!("`in` needs a list, dict, str or range, not {}", type_name(other)),
            ))
        }
    })
}
