//! Wire encoding: how plain data crosses a process boundary (shared objects
//! today; queues and pipes later). `Value` ↔ `WireValue` ↔ postcard bytes.
//!
//! Plain data is nil, bool, int, float, str, list, dict (insertion order
//! kept) and range. Functions, errors and handles cannot be encoded in v1:
//! encoding them is a clear `TypeError`, never a silent copy.

use super::{Key, Range, Value};
use crate::diagnostics::ErrorObj;
use serde::{Deserialize, Serialize};

type R<T> = Result<T, Box<ErrorObj>>;

/// How deep lists and dicts may nest (also stops a list that contains itself).
const MAX_DEPTH: usize = 512;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum WireValue {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<WireValue>),
    Dict(Vec<(WireValue, WireValue)>),
    Range(i64, i64, bool),
}

impl WireValue {
    pub fn from_value(v: &Value) -> R<WireValue> {
        to_wire(v, 0)
    }

    pub fn into_value(self) -> Value {
        match self {
            WireValue::Nil => Value::Nil,
            WireValue::Bool(b) => Value::Bool(b),
            WireValue::Int(i) => Value::Int(i),
            WireValue::Float(f) => Value::Float(f),
            WireValue::Str(s) => Value::Str(s.into()),
            WireValue::List(items) => Value::list(items.into_iter().map(WireValue::into_value).collect()),
            WireValue::Dict(pairs) => Value::dict(
                pairs
                    .into_iter()
                    // Keys were checked when encoded; a bad one decodes as nil.
                    .map(|(k, v)| (Key::from_value(&k.into_value()).unwrap_or(Key::Nil), v.into_value()))
                    .collect(),
            ),
            WireValue::Range(start, end, inclusive) => Value::Range(Range { start, end, inclusive }),
        }
    }
}

fn to_wire(v: &Value, depth: usize) -> R<WireValue> {
    if depth > MAX_DEPTH {
        return Err(ErrorObj::new(
            "ValueError",
            format!("cannot send a value nested more than {MAX_DEPTH} deep (does a list contain itself?)"),
        ));
    }
    Ok(match v {
        Value::Nil => WireValue::Nil,
        Value::Bool(b) => WireValue::Bool(*b),
        Value::Int(i) => WireValue::Int(*i),
        Value::Float(f) => WireValue::Float(*f),
        Value::Str(s) => WireValue::Str(s.to_string()),
        Value::Range(r) => WireValue::Range(r.start, r.end, r.inclusive),
        Value::List(items) => WireValue::List(items.borrow().iter().map(|x| to_wire(x, depth + 1)).collect::<R<_>>()?),
        Value::Dict(map) => WireValue::Dict(
            map.borrow()
                .iter()
                .map(|(k, x)| Ok((to_wire(&k.to_value(), depth + 1)?, to_wire(x, depth + 1)?)))
                .collect::<R<_>>()?,
        ),
        other => {
            return Err(ErrorObj::new(
                "TypeError",
                format!("a {} cannot be stored in shared data or sent to another process yet", super::type_name(other)),
            )
            .with_help("v1 sends plain data only: nil, bool, int, float, str, list, dict and range"))
        }
    })
}

/// Encode plain data as bytes.
pub fn encode(v: &Value) -> R<Vec<u8>> {
    let w = WireValue::from_value(v)?;
    postcard::to_allocvec(&w).map_err(|e| ErrorObj::new("ValueError", format!("cannot encode value: {e}")))
}

/// Decode bytes made by `encode`.
pub fn decode(bytes: &[u8]) -> R<Value> {
    let w: WireValue =
        postcard::from_bytes(bytes).map_err(|e| ErrorObj::new("ValueError", format!("cannot decode value: {e}")))?;
    Ok(w.into_value())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_data_round_trips() {
        let v = crate::value::Value::list(vec![
            Value::Nil,
            Value::Bool(true),
            Value::Int(-7),
            Value::Float(2.5),
            Value::str("hé"),
            Value::Range(Range { start: 0, end: 3, inclusive: true }),
        ]);
        let back = decode(&encode(&v).unwrap()).unwrap();
        assert!(crate::value::values_equal(&v, &back));
    }

    #[test]
    fn functions_are_refused_clearly() {
        let f = Value::Error(std::rc::Rc::new(ErrorObj::default()));
        let e = encode(&f).unwrap_err();
        assert_eq!(&*e.kind, "TypeError");
        assert!(e.message.contains("cannot be stored"), "{}", e.message);
    }
}
