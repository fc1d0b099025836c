//! Operators on values: arithmetic (checked), comparison, equality and
//! membership — independent of evaluation.

use super::{display::type_name, Key, Value};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::syntax::ast::BinOp;
use std::cmp::Ordering;
use std::rc::Rc;

type R = Result<Value, Box<ErrorObj>>;

/// Structural equality; ints and floats compare by value.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::List(_), Value::List(_)) | (Value::Dict(_), Value::Dict(_)) => equal_in(a, b, &mut Walk::default()),
        _ => scalars_equal(a, b),
    }
}

fn scalars_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::Range(x), Value::Range(y)) => x == y,
        (Value::Func(x), Value::Func(y)) => Rc::ptr_eq(x, y),
        (Value::Native(x), Value::Native(y)) => Rc::ptr_eq(x, y),
        (Value::Error(x), Value::Error(y)) => {
            Rc::ptr_eq(x, y) || (x.kind.name() == y.kind.name() && x.message == y.message)
        }
        (Value::Handle(x), Value::Handle(y)) => x == y,
        _ => false,
    }
}

/// A walk through two nested values at once (equality, ordering). Deep
/// nesting grows the native stack on the heap instead of overflowing it;
/// a pair of containers met again inside itself is a cycle, taken as
/// equal (so two self-containing lists of one shape are equal, where
/// Python gives up with a RecursionError).
#[derive(Default)]
struct Walk {
    depth: usize,
    open: rustc_hash::FxHashSet<(usize, usize)>,
}

/// Cycles are looked for only below this depth: shallow values pay nothing.
const TRACK_FROM: usize = 32;

impl Walk {
    /// Run `f` one level deeper for the pair `(x, y)`; `None` when the pair
    /// is already being compared further up (a cycle).
    fn enter<T>(&mut self, x: usize, y: usize, f: impl FnOnce(&mut Walk) -> T) -> Option<T> {
        let tracked = self.depth >= TRACK_FROM;
        if tracked && !self.open.insert((x, y)) {
            return None;
        }
        self.depth += 1;
        let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || f(self));
        self.depth -= 1;
        if tracked {
            self.open.remove(&(x, y));
        }
        Some(r)
    }
}

fn equal_in(a: &Value, b: &Value, w: &mut Walk) -> bool {
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (xs, ys) = (x.borrow(), y.borrow());
            xs.len() == ys.len()
                && w.enter(Rc::as_ptr(x) as usize, Rc::as_ptr(y) as usize, |w| {
                    xs.iter().zip(ys.iter()).all(|(a, b)| equal_in(a, b, w))
                })
                .unwrap_or(true)
        }
        (Value::Dict(x), Value::Dict(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (xs, ys) = (x.borrow(), y.borrow());
            xs.len() == ys.len()
                && w.enter(Rc::as_ptr(x) as usize, Rc::as_ptr(y) as usize, |w| {
                    xs.iter().all(|(k, v)| ys.get(k).is_some_and(|u| equal_in(v, u, w)))
                })
                .unwrap_or(true)
        }
        _ => scalars_equal(a, b),
    }
}

/// Ordering for `<`, `sorted`, `min`, `max`: numbers, strings, and lists of
/// comparable items. `None` when the two cannot be ordered.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    compare_in(a, b, &mut Walk::default())
}

fn compare_in(a: &Value, b: &Value, w: &mut Walk) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
        (Value::List(x), Value::List(y)) => {
            if Rc::ptr_eq(x, y) {
                return Some(Ordering::Equal);
            }
            let (xs, ys) = (x.borrow(), y.borrow());
            w.enter(Rc::as_ptr(x) as usize, Rc::as_ptr(y) as usize, |w| {
                for (a, b) in xs.iter().zip(ys.iter()) {
                    match compare_in(a, b, w)? {
                        Ordering::Equal => continue,
                        other => return Some(other),
                    }
                }
                Some(xs.len().cmp(&ys.len()))
            })
            .unwrap_or(Some(Ordering::Equal))
        }
        _ => None,
    }
}

fn type_error(op: BinOp, a: &Value, b: &Value) -> Box<ErrorObj> {
    let mut e = ErrorObj::new(
        ErrorKind::TypeError,
        format!("unsupported operand types for {}: {} and {}", op.symbol(), type_name(a), type_name(b)),
    );
    if op == BinOp::Add && (matches!(a, Value::Str(_)) || matches!(b, Value::Str(_))) {
        e.help = Some("to join text and a value, use interpolation: \"{x}\" or str(x)".into());
    }
    e
}

fn overflow(op: BinOp) -> Box<ErrorObj> {
    ErrorObj::new(ErrorKind::OverflowError, format!("integer overflow in {}", op.symbol()))
}

fn zero_division(op: BinOp) -> Box<ErrorObj> {
    let what = match op {
        BinOp::Mod => "modulo by zero",
        BinOp::FloorDiv => "integer division by zero",
        _ => "division by zero",
    };
    ErrorObj::new(ErrorKind::ZeroDivisionError, what)
}

/// Every binary operator except `and`/`or` (which short-circuit).
pub fn binary(op: BinOp, a: &Value, b: &Value) -> R {
    use Value::*;
    match op {
        BinOp::Eq => return Ok(Bool(values_equal(a, b))),
        BinOp::Ne => return Ok(Bool(!values_equal(a, b))),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = compare(a, b).ok_or_else(|| {
                ErrorObj::new(
                    ErrorKind::TypeError,
                    format!("cannot compare {} {} {}", type_name(a), op.symbol(), type_name(b)),
                )
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
            let mut s = String::with_capacity(super::check_str_size(x.len().checked_add(y.len()))?);
            s.push_str(x);
            s.push_str(y);
            Ok(Str(s.into()))
        }
        (Bytes(x), Bytes(y)) if op == BinOp::Add => {
            let mut v = Vec::with_capacity(super::check_str_size(x.len().checked_add(y.len()))?);
            v.extend_from_slice(x);
            v.extend_from_slice(y);
            Ok(Bytes(v.into()))
        }
        (Bytes(b), Int(n)) | (Int(n), Bytes(b)) if op == BinOp::Mul => {
            let n = (*n).max(0) as usize;
            super::check_str_size(n.checked_mul(b.len()))?;
            Ok(Bytes(b.repeat(n).into()))
        }
        (List(x), List(y)) if op == BinOp::Add => {
            let (x, y) = (x.borrow(), y.borrow());
            let mut v = Vec::with_capacity(super::check_list_size(x.len().checked_add(y.len()))?);
            v.extend(x.iter().cloned());
            v.extend(y.iter().cloned());
            Ok(Value::list(v))
        }
        (Str(s), Int(n)) | (Int(n), Str(s)) if op == BinOp::Mul => {
            let n = (*n).max(0) as usize;
            super::check_str_size(n.checked_mul(s.len()))?;
            Ok(Str(s.repeat(n).into()))
        }
        (List(l), Int(n)) | (Int(n), List(l)) if op == BinOp::Mul => {
            let items = l.borrow();
            let n = (*n).max(0) as usize;
            let mut v = Vec::with_capacity(super::check_list_size(items.len().checked_mul(n))?);
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
        BinOp::Pow => return int_pow(x, y),
        _ => unreachable!("not arithmetic"),
    };
    v.map(Value::Int).ok_or_else(|| overflow(op))
}

/// `x ** y` on ints: an int, or a float for a negative exponent (as Python).
fn int_pow(x: i64, y: i64) -> R {
    if y < 0 {
        return float_arith(BinOp::Pow, x as f64, y as f64);
    }
    let r = match x {
        0 | 1 => Some(if y == 0 { 1 } else { x }),
        -1 => Some(if y % 2 == 0 { 1 } else { -1 }),
        _ => u32::try_from(y).ok().and_then(|y| x.checked_pow(y)),
    };
    r.map(Value::Int).ok_or_else(|| overflow(BinOp::Pow))
}

fn float_arith(op: BinOp, x: f64, y: f64) -> R {
    Ok(Value::Float(match op {
        BinOp::Pow => {
            if x == 0.0 && y < 0.0 {
                return Err(ErrorObj::new(ErrorKind::ZeroDivisionError, "0.0 cannot be raised to a negative power"));
            }
            if x < 0.0 && y.is_finite() && y.fract() != 0.0 {
                return Err(ErrorObj::new(
                    ErrorKind::ValueError,
                    "a negative number to a fractional power has no real result",
                ));
            }
            let r = x.powf(y);
            if r.is_infinite() && x.is_finite() && y.is_finite() {
                return Err(ErrorObj::new(ErrorKind::OverflowError, "float result of ** is too large"));
            }
            r
        }
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
                    ErrorKind::TypeError,
                    format!("`in <str>` needs a str on the left, not {}", type_name(other)),
                ))
            }
        },
        Value::Bytes(b) => match needle {
            Value::Bytes(n) => n.is_empty() || b.windows(n.len()).any(|w| w == &**n),
            Value::Int(i) if (0..256).contains(i) => b.contains(&(*i as u8)),
            Value::Int(i) => {
                return Err(ErrorObj::new(ErrorKind::ValueError, format!("byte must be in range(0, 256), not {i}")))
            }
            other => {
                return Err(ErrorObj::new(
                    ErrorKind::TypeError,
                    format!("`in <bytes>` needs bytes or an int on the left, not {}", type_name(other)),
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
                ErrorKind::TypeError,
                format!("`in` needs a list, dict, str, bytes or range, not {}", type_name(other)),
            ))
        }
    })
}
