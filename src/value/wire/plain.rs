//! The fast path of the wire encoding, for plain data (nil, bool, int,
//! float, str, list, dict, range): the same postcard bytes that `Message`
//! gives, written straight from a `Value` and read straight back into one,
//! with no `WireValue` tree in between (no allocation per node, one copy
//! per string). Anything else (functions, handles, errors, builtins,
//! nesting too deep, bytes it does not expect) makes these functions give
//! up, and the caller takes the general path, which also owns every error
//! message. The tests check that both paths give identical bytes.
//!
//! postcard, as used here: `Message` = `funcs` (a varint length, 0 on this
//! path) then `value`; an enum is its variant index as a varint, then its
//! fields; ints are zigzag varints, floats 8 little-endian bytes, bools one
//! byte, strings and sequences a varint length then their contents.

use super::super::{Key, Range, Value};
use super::MAX_DEPTH;
use std::rc::Rc;

// Variant indices of `WireValue` (the order of its declaration).
const NIL: u8 = 0;
const BOOL: u8 = 1;
const INT: u8 = 2;
const FLOAT: u8 = 3;
const STR: u8 = 4;
const LIST: u8 = 5;
const DICT: u8 = 6;
const RANGE: u8 = 7;

/// Append the message bytes of `v` to `out`. `false` when `v` is not plain
/// data; `out` may then hold a partial message past its old length.
pub(super) fn encode(v: &Value, out: &mut Vec<u8>) -> bool {
    out.push(0); // no functions
    value(v, out, 0)
}

fn value(v: &Value, out: &mut Vec<u8>, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match v {
        Value::Nil => out.push(NIL),
        Value::Bool(b) => out.extend_from_slice(&[BOOL, *b as u8]),
        Value::Int(i) => {
            out.push(INT);
            int(*i, out);
        }
        Value::Float(f) => {
            out.push(FLOAT);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::Str(s) => {
            out.push(STR);
            text(s, out);
        }
        Value::Range(r) => {
            out.push(RANGE);
            int(r.start, out);
            int(r.end, out);
            out.push(r.inclusive as u8);
        }
        Value::List(items) => {
            let items = items.borrow();
            out.push(LIST);
            varint(items.len() as u64, out);
            return items.iter().all(|x| value(x, out, depth + 1));
        }
        Value::Dict(map) => {
            let map = map.borrow();
            out.push(DICT);
            varint(map.len() as u64, out);
            return map.iter().all(|(k, x)| key(k, out) && value(x, out, depth + 1));
        }
        Value::Func(_) | Value::Native(_) | Value::Error(_) | Value::Handle(_) => return false,
    }
    true
}

fn key(k: &Key, out: &mut Vec<u8>) -> bool {
    match k {
        Key::Nil => out.push(NIL),
        Key::Bool(b) => out.extend_from_slice(&[BOOL, *b as u8]),
        Key::Int(i) => {
            out.push(INT);
            int(*i, out);
        }
        Key::Str(s) => {
            out.push(STR);
            text(s, out);
        }
    }
    true
}

fn text(s: &str, out: &mut Vec<u8>) {
    varint(s.len() as u64, out);
    out.extend_from_slice(s.as_bytes());
}

fn int(i: i64, out: &mut Vec<u8>) {
    varint(((i << 1) ^ (i >> 63)) as u64, out);
}

fn varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Read a message made of plain data. `None` when the bytes hold anything
/// else (or are not a well-formed message): use the general path.
pub(super) fn decode(bytes: &[u8]) -> Option<Value> {
    let mut r = Reader { bytes, at: 0 };
    if r.byte()? != 0 {
        return None; // the message carries functions
    }
    let v = r.value(0)?;
    (r.at == bytes.len()).then_some(v)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                // The tenth byte may only carry the top bit.
                return (shift < 63 || b <= 1).then_some(n);
            }
        }
        None
    }

    fn int(&mut self) -> Option<i64> {
        let z = self.varint()?;
        Some((z >> 1) as i64 ^ -((z & 1) as i64))
    }

    fn bool(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn len(&mut self) -> Option<usize> {
        usize::try_from(self.varint()?).ok()
    }

    fn text(&mut self) -> Option<Rc<str>> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).ok().map(Rc::from)
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        Some(match self.byte()? {
            NIL => Value::Nil,
            BOOL => Value::Bool(self.bool()?),
            INT => Value::Int(self.int()?),
            FLOAT => Value::Float(f64::from_bits(u64::from_le_bytes(self.take(8)?.try_into().ok()?))),
            STR => Value::Str(self.text()?),
            RANGE => Value::Range(Range { start: self.int()?, end: self.int()?, inclusive: self.bool()? }),
            LIST => {
                let n = self.len()?;
                // Each item takes at least one byte: a bad length cannot over-allocate.
                let mut items = Vec::with_capacity(n.min(self.bytes.len() - self.at));
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::list(items)
            }
            DICT => {
                let n = self.len()?;
                let mut map = super::super::DictMap::default();
                map.reserve(n.min(self.bytes.len() - self.at));
                for _ in 0..n {
                    let k = Key::from_value(&self.value(depth + 1)?).ok()?;
                    map.insert(k, self.value(depth + 1)?);
                }
                Value::dict(map)
            }
            _ => return None,
        })
    }
}
