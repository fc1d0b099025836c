//! Files and JSON.

use super::BResult;
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Host;
use crate::value::{display, type_name, Args, BuiltinFn, DictMap, Key, Value};
use std::io::Write;

pub const BUILTINS: &[(&str, BuiltinFn)] = &[
    ("read_file", read_file),
    ("write_file", write_file),
    ("append_file", append_file),
    ("file_exists", file_exists),
    ("remove_file", remove_file),
    ("json_parse", json_parse),
    ("json_str", json_str),
];

fn io_error(what: &str, path: &str, e: std::io::Error) -> Box<ErrorObj> {
    let reason = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    ErrorObj::new(ErrorKind::IOError, format!("cannot {what} `{path}`: {reason}"))
}

fn read_file(interp: &mut dyn Host, a: &mut Args) -> BResult {
    crate::runtime::explore::point(interp)?;
    a.check(1, 1, &[])?;
    let path = a.string(0, "the path")?;
    std::fs::read_to_string(&*path).map(|s| Value::str(&s)).map_err(|e| io_error("read", &path, e))
}

fn write_with(a: &mut Args, append: bool) -> BResult {
    a.check(2, 2, &[])?;
    let path = a.string(0, "the path")?;
    let text = display(a.get(1));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .append(append)
        .truncate(!append)
        .open(&*path)
        .map_err(|e| io_error("open", &path, e))?;
    f.write_all(text.as_bytes()).map_err(|e| io_error("write", &path, e))?;
    Ok(Value::Nil)
}

fn write_file(interp: &mut dyn Host, a: &mut Args) -> BResult {
    crate::runtime::explore::point(interp)?;
    write_with(a, false)
}

fn append_file(interp: &mut dyn Host, a: &mut Args) -> BResult {
    crate::runtime::explore::point(interp)?;
    write_with(a, true)
}

fn file_exists(interp: &mut dyn Host, a: &mut Args) -> BResult {
    crate::runtime::explore::point(interp)?;
    a.check(1, 1, &[])?;
    Ok(Value::Bool(std::path::Path::new(&*a.string(0, "the path")?).exists()))
}

fn remove_file(interp: &mut dyn Host, a: &mut Args) -> BResult {
    crate::runtime::explore::point(interp)?;
    a.check(1, 1, &[])?;
    let path = a.string(0, "the path")?;
    std::fs::remove_file(&*path).map(|_| Value::Nil).map_err(|e| io_error("remove", &path, e))
}

fn json_parse(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 1, &[])?;
    let text = a.string(0, "the text")?;
    let j: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        ErrorObj::new(ErrorKind::ValueError, format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column()))
    })?;
    Ok(from_json(j))
}

fn from_json(j: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match j {
        J::Null => Value::Nil,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::str(&s),
        J::Array(items) => Value::list(items.into_iter().map(from_json).collect()),
        J::Object(map) => {
            let mut d = DictMap::default();
            for (k, v) in map {
                d.insert(Key::Str(k.into()), from_json(v));
            }
            Value::dict(d)
        }
    }
}

fn to_json(v: &Value, depth: usize) -> Result<serde_json::Value, Box<ErrorObj>> {
    use serde_json::Value as J;
    if depth > 200 {
        return Err(ErrorObj::new(ErrorKind::ValueError, "json_str(): value is nested too deeply (a cycle?)"));
    }
    Ok(match v {
        Value::Nil => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .ok_or_else(|| ErrorObj::new(ErrorKind::ValueError, "json_str(): nan and inf have no JSON form"))?,
        Value::Str(s) => J::String(s.to_string()),
        Value::List(items) => J::Array(items.borrow().iter().map(|x| to_json(x, depth + 1)).collect::<Result<_, _>>()?),
        Value::Range(r) => J::Array((r.start..r.stop()).map(J::from).collect()),
        Value::Dict(map) => {
            let mut out = serde_json::Map::new();
            for (k, x) in map.borrow().iter() {
                let key = match k {
                    Key::Str(s) => s.to_string(),
                    other => display(&other.to_value()),
                };
                out.insert(key, to_json(x, depth + 1)?);
            }
            J::Object(out)
        }
        other => {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("json_str(): {} has no JSON form", type_name(other)),
            ))
        }
    })
}

fn json_str(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 2, &["indent"])?;
    let j = to_json(a.get(0), 0)?;
    let text = match a.opt(1, "indent") {
        Some(Value::Int(n)) if *n > 0 => {
            let indent = " ".repeat(crate::value::check_str_size(usize::try_from(*n).ok())?);
            let mut buf = Capped(Vec::new());
            let fmt = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
            serde::Serialize::serialize(&j, &mut ser).map_err(|e| match e.io_error_kind() {
                Some(std::io::ErrorKind::OutOfMemory) => crate::value::check_str_size(None).unwrap_err(),
                _ => ErrorObj::new(ErrorKind::ValueError, e.to_string()),
            })?;
            String::from_utf8_lossy(&buf.0).into_owned()
        }
        _ => {
            let mut buf = Vec::new();
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, SpacedFormatter);
            serde::Serialize::serialize(&j, &mut ser)
                .map_err(|e| ErrorObj::new(ErrorKind::ValueError, e.to_string()))?;
            String::from_utf8_lossy(&buf).into_owned()
        }
    };
    Ok(Value::str(&text))
}

/// A buffer that refuses to grow past the largest string.
struct Capped(Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + b.len() > crate::value::MAX_STR_BYTES {
            return Err(std::io::ErrorKind::OutOfMemory.into());
        }
        self.0.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One line, with Python's `json.dumps` spacing: `{"a": 1, "b": [1, 2]}`.
struct SpacedFormatter;

impl serde_json::ser::Formatter for SpacedFormatter {
    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
}
