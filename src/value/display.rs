//! How values print. The one place that turns a value into
//! text: `print`, interpolation, `str()` and the REPL all come here.

use super::{Key, Value};
use std::fmt::Write;

/// As `print` shows it: a string is its raw text.
pub fn display(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        // A shared string prints as its raw text; anything else as below,
        // where a shared object holding itself is seen as a cycle.
        Value::Handle(crate::runtime::Handle::Shared(s)) => match s.snapshot() {
            Ok(Value::Str(text)) => text.to_string(),
            _ => repr(v),
        },
        other => repr(other),
    }
}

/// As it appears inside a list or at the REPL: strings quoted.
pub fn repr(v: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, v, &mut Seen::default());
    out
}

/// The containers being printed, to show a cycle as `[...]`. Shallow
/// values look through a short list; deep ones through a set as well.
#[derive(Default)]
struct Seen {
    stack: Vec<*const ()>,
    deep: rustc_hash::FxHashSet<*const ()>,
}

/// Nesting from which `Seen` keeps a set as well.
const SET_FROM: usize = 32;

impl Seen {
    fn contains(&self, p: *const ()) -> bool {
        if self.stack.len() > SET_FROM {
            self.deep.contains(&p)
        } else {
            self.stack.contains(&p)
        }
    }

    fn push(&mut self, p: *const ()) {
        self.stack.push(p);
        if self.stack.len() > SET_FROM {
            if self.deep.is_empty() {
                self.deep.extend(self.stack.iter().copied());
            } else {
                self.deep.insert(p);
            }
        }
    }

    fn pop(&mut self) {
        if let Some(p) = self.stack.pop() {
            if !self.deep.is_empty() {
                self.deep.remove(&p);
                if self.stack.len() <= SET_FROM {
                    self.deep.clear();
                }
            }
        }
    }
}

/// Python's repr of a float: always a point or an exponent.
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        let s = format!("{f:?}");
        // Rust writes `1e20`; Python writes `1e+20`.
        match s.find('e') {
            Some(i) if !s[i + 1..].starts_with('-') => format!("{}e+{}", &s[..i], &s[i + 1..]),
            _ => s,
        }
    }
}

pub fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `b"…"`: printable ASCII as itself, `\\`, `\"`, `\n`, `\t`, `\r`, and
/// every other byte as `\xHH` (Python's repr, in double quotes).
pub fn quote_bytes(out: &mut String, b: &[u8]) {
    out.push_str("b\"");
    for &c in b {
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(c as char),
            _ => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push('"');
}

fn write_key(out: &mut String, k: &Key) {
    match k {
        Key::Str(s) => quote(out, s),
        other => write_repr(out, &other.to_value(), &mut Seen::default()),
    }
}

/// `seen`: the containers being printed, to show a cycle as `[...]`.
fn write_repr(out: &mut String, v: &Value, seen: &mut Seen) {
    let ptr = match v {
        Value::List(l) => Some(std::rc::Rc::as_ptr(l) as *const ()),
        Value::Dict(d) => Some(std::rc::Rc::as_ptr(d) as *const ()),
        _ => None,
    };
    if let Some(p) = ptr {
        if seen.contains(p) {
            out.push_str(if matches!(v, Value::List(_)) { "[...]" } else { "{...}" });
            return;
        }
        seen.push(p);
    }
    // Deep nesting grows the native stack on the heap instead of overflowing.
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || write_inner(out, v, seen));
    if ptr.is_some() {
        seen.pop();
    }
}

fn write_inner(out: &mut String, v: &Value, seen: &mut Seen) {
    match v {
        Value::Nil => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&float_text(*f)),
        Value::Str(s) => quote(out, s),
        Value::Bytes(b) => quote_bytes(out, b),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.borrow().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item, seen);
            }
            out.push(']');
        }
        Value::Dict(map) => {
            out.push('{');
            for (i, (k, val)) in map.borrow().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_key(out, k);
                out.push_str(": ");
                write_repr(out, val, seen);
            }
            out.push('}');
        }
        Value::Range(r) => {
            let _ = write!(out, "{}{}{}", r.start, if r.inclusive { "..=" } else { ".." }, r.end);
        }
        Value::Func(c) => match &c.def.name {
            Some(name) => {
                let _ = write!(out, "<fn {name}>");
            }
            None => out.push_str("<fn>"),
        },
        Value::Native(n) => {
            let _ = write!(out, "<builtin {}>", n.name);
        }
        Value::Error(e) => {
            let _ = write!(out, "{}: {}", e.kind, e.message);
        }
        Value::Handle(crate::runtime::Handle::Shared(d)) => {
            // A shared object prints as its value. It may hold itself
            // (`s["b"] = s`): the inner one prints as `{...}` or `[...]`, as
            // in a list. An arena offset made odd never equals a container's
            // (aligned) address.
            let key = (((d.0 .0 as usize) << 1) | 1) as *const ();
            match d.snapshot() {
                Ok(Value::List(_)) if seen.contains(key) => out.push_str("[...]"),
                Ok(Value::Dict(_)) if seen.contains(key) => out.push_str("{...}"),
                Ok(inner) => {
                    seen.push(key);
                    write_repr(out, &inner, seen);
                    seen.pop();
                }
                Err(_) => out.push_str("<shared ?>"),
            }
        }
        Value::Handle(h) => out.push_str(&h.describe()),
    }
}

/// The name `type(v)` gives.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Str(_) => "str",
        Value::Bytes(_) => "bytes",
        Value::List(_) => "list",
        Value::Dict(_) => "dict",
        Value::Range(_) => "range",
        Value::Func(_) | Value::Native(_) => "fn",
        Value::Error(_) => "error",
        Value::Handle(h) => h.type_name(),
    }
}
