//! The fast path of the wire: plain data written and read as postcard bytes
//! directly, with no `WireValue` tree in between (a pool map or a queue of
//! ints would otherwise build and drop one node per item, twice).
//!
//! The bytes are exactly those postcard gives for the same `WireValue`
//! (tests below check it): a variant is its index as a varint, an int a
//! zigzag varint, a float 8 little-endian bytes, a bool one byte, a str, bytes or a
//! list its length as a varint then its contents, a dict its length then
//! key, value pairs, a range start, end, inclusive. Every other variant
//! (functions, builtins, errors, handles) goes through serde as before.

use super::{too_deep, Decoder, Encoder, WireValue, MAX_DEPTH};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::value::{DictMap, Key, Range, Value};

use crate::diagnostics::R;

// Variant indices of `WireValue`, in declaration order.
const NIL: u64 = 0;
const BOOL: u64 = 1;
const INT: u64 = 2;
const FLOAT: u64 = 3;
const STR: u64 = 4;
const LIST: u64 = 5;
const DICT: u64 = 6;
const RANGE: u64 = 7;
const BYTES: u64 = 12;

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn int(out: &mut Vec<u8>, n: i64) {
    varint(out, ((n << 1) ^ (n >> 63)) as u64);
}

impl Encoder<'_> {
    /// Append the postcard bytes of `v` (as a `WireValue`) to `out`.
    pub(super) fn write(&mut self, v: &Value, depth: usize, out: &mut Vec<u8>) -> R<()> {
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        match v {
            Value::Nil => varint(out, NIL),
            Value::Bool(b) => out.extend([BOOL as u8, *b as u8]),
            Value::Int(i) => {
                out.push(INT as u8);
                int(out, *i);
            }
            Value::Float(f) => {
                out.push(FLOAT as u8);
                out.extend(f.to_bits().to_le_bytes());
            }
            Value::Str(s) => {
                out.push(STR as u8);
                varint(out, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            Value::Bytes(b) => {
                out.push(BYTES as u8);
                varint(out, b.len() as u64);
                out.extend_from_slice(b);
            }
            Value::Range(r) => {
                out.push(RANGE as u8);
                int(out, r.start);
                int(out, r.end);
                out.push(r.inclusive as u8);
            }
            Value::List(items) => self.write_list(&items.borrow(), depth, out)?,
            Value::Dict(map) => {
                let map = map.borrow();
                out.push(DICT as u8);
                varint(out, map.len() as u64);
                for (k, x) in map.iter() {
                    self.write(&k.to_value(), depth + 1, out)?;
                    self.write(x, depth + 1, out)?;
                }
            }
            other => {
                let w = self.value(other, depth)?;
                *out = postcard::to_extend(&w, std::mem::take(out)).map_err(encode_error)?;
            }
        }
        Ok(())
    }

    /// Append the bytes of a list of `items` (at `depth`) to `out`.
    pub(super) fn write_list(&mut self, items: &[Value], depth: usize, out: &mut Vec<u8>) -> R<()> {
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        out.push(LIST as u8);
        varint(out, items.len() as u64);
        out.reserve(2 * items.len());
        for x in items {
            match x {
                // Ints inline: the common case of a pool map or a batch.
                Value::Int(i) => {
                    out.push(INT as u8);
                    int(out, *i);
                }
                _ => self.write(x, depth + 1, out)?,
            }
        }
        Ok(())
    }
}

fn encode_error(e: postcard::Error) -> Box<ErrorObj> {
    ErrorObj::new(ErrorKind::ValueError, format!("cannot encode value: {e}"))
}

fn damaged() -> Box<ErrorObj> {
    ErrorObj::new(ErrorKind::ValueError, "cannot decode value: the bytes are damaged")
}

/// Reading postcard bytes from the front of a slice.
struct Input<'b>(&'b [u8]);

impl<'b> Input<'b> {
    fn byte(&mut self) -> R<u8> {
        let (&b, rest) = self.0.split_first().ok_or_else(damaged)?;
        self.0 = rest;
        Ok(b)
    }

    fn varint(&mut self) -> R<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                return Ok(n);
            }
        }
        Err(damaged())
    }

    fn int(&mut self) -> R<i64> {
        let z = self.varint()?;
        Ok((z >> 1) as i64 ^ -((z & 1) as i64))
    }

    fn bool(&mut self) -> R<bool> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(damaged()),
        }
    }

    fn take(&mut self, n: u64) -> R<&'b [u8]> {
        if n > self.0.len() as u64 {
            return Err(damaged());
        }
        let (head, rest) = self.0.split_at(n as usize);
        self.0 = rest;
        Ok(head)
    }

    /// A length, bounded by the bytes left (each element takes at least one).
    fn len(&mut self) -> R<usize> {
        let n = self.varint()?;
        if n > self.0.len() as u64 {
            return Err(damaged());
        }
        Ok(n as usize)
    }
}

impl Decoder<'_> {
    /// Read one value written by `Encoder::write` (or by postcard from a
    /// `WireValue`) from the front of `bytes`; the rest is left there.
    pub(super) fn read(&mut self, bytes: &mut &[u8], depth: usize) -> R<Value> {
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        let start = *bytes;
        let mut input = Input(bytes);
        let v = match input.varint()? {
            NIL => Value::Nil,
            BOOL => Value::Bool(input.bool()?),
            INT => Value::Int(input.int()?),
            FLOAT => {
                let b = input.take(8)?;
                Value::Float(f64::from_bits(u64::from_le_bytes(b.try_into().map_err(|_| damaged())?)))
            }
            STR => {
                let n = input.varint()?;
                let s = std::str::from_utf8(input.take(n)?).map_err(|_| damaged())?;
                Value::str(s)
            }
            BYTES => {
                let n = input.varint()?;
                Value::Bytes(input.take(n)?.into())
            }
            RANGE => Value::Range(Range { start: input.int()?, end: input.int()?, inclusive: input.bool()? }),
            LIST => {
                let n = input.len()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    // Ints inline: the common case of a pool map or a batch.
                    let v = match input.0 {
                        [t, rest @ ..] if *t as u64 == INT => {
                            input.0 = rest;
                            Value::Int(input.int()?)
                        }
                        _ => self.read(&mut input.0, depth + 1)?,
                    };
                    items.push(v);
                }
                Value::list(items)
            }
            DICT => {
                let n = input.len()?;
                let mut map = DictMap::with_capacity_and_hasher(n, Default::default());
                for _ in 0..n {
                    let k = Key::from_value(&self.read(&mut input.0, depth + 1)?)?;
                    let v = self.read(&mut input.0, depth + 1)?;
                    map.insert(k, v);
                }
                Value::dict(map)
            }
            _ => {
                let (w, rest) = postcard::take_from_bytes::<WireValue>(start)
                    .map_err(|e| ErrorObj::new(ErrorKind::ValueError, format!("cannot decode value: {e}")))?;
                input.0 = rest;
                self.value(w)?
            }
        };
        *bytes = input.0;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{decode_data, encode_data, WireValue};
    use crate::value::{values_equal, DictMap, Key, Range, Value};
    use std::rc::Rc;

    /// What serde alone gives for the same value: the format the fast path
    /// must keep.
    fn serde_bytes(v: &Value) -> Vec<u8> {
        let w = WireValue::from_value(v).unwrap();
        let mut out = postcard::to_allocvec(&Vec::<super::super::WireFn>::new()).unwrap();
        out.extend(postcard::to_allocvec(&w).unwrap());
        out
    }

    fn samples() -> Vec<Value> {
        let mut map = DictMap::default();
        map.insert(Key::Str("k".into()), Value::Int(1));
        map.insert(Key::Int(-3), Value::list(vec![Value::Nil]));
        map.insert(Key::Nil, Value::Bool(false));
        let err =
            Value::Error(Rc::new(*crate::diagnostics::ErrorObj::new(crate::diagnostics::ErrorKind::ValueError, "bad")));
        vec![
            Value::Nil,
            Value::Bool(true),
            Value::Int(0),
            Value::Int(-1),
            Value::Int(63),
            Value::Int(64),
            Value::Int(-65),
            Value::Int(i64::MAX),
            Value::Int(i64::MIN),
            Value::Float(-0.5),
            Value::Float(f64::INFINITY),
            Value::str(""),
            Value::str(&"é".repeat(200)),
            Value::Bytes((0..=255u8).collect::<Vec<u8>>().into()),
            Value::Range(Range { start: -5, end: 1 << 40, inclusive: true }),
            Value::list((0..300).map(Value::Int).collect()),
            Value::dict(map),
            Value::list(vec![err.clone(), Value::Int(2), err]),
        ]
    }

    #[test]
    fn fast_path_writes_what_serde_writes() {
        for v in samples() {
            assert_eq!(encode_data(&v).unwrap(), serde_bytes(&v), "{v:?}");
        }
    }

    #[test]
    fn fast_path_reads_what_serde_writes() {
        for v in samples() {
            let back = decode_data(&serde_bytes(&v)).unwrap();
            assert_eq!(encode_data(&back).unwrap(), serde_bytes(&v), "{v:?} -> {back:?}");
            if !matches!(v, Value::List(_)) {
                assert!(values_equal(&v, &back), "{v:?} -> {back:?}");
            }
        }
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let good = encode_data(&Value::list(vec![Value::str("abc"), Value::Float(1.0)])).unwrap();
        for n in 0..good.len() {
            assert!(decode_data(&good[..n]).is_err(), "prefix of {n} bytes");
        }
        assert!(decode_data(&[0, LIST_HUGE[0], 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
    }

    const LIST_HUGE: [u8; 1] = [super::LIST as u8];
}
