//! Runtime values. Cheap to clone: scalars are inline, everything else is
//! behind an `Rc`. Lists, dicts and closures are reference values inside one
//! process; between processes values are copied (see `wire`). Below the
//! evaluator: builtin functions see it only as `runtime::Host`, and `wire`
//! reaches function sources and compilation through its `FnCodec` trait.

mod display;
mod key_hash;
mod ops;
pub mod slice;
pub mod wire;

pub use display::{display, repr, type_name};
pub use ops::{binary as binary_op, compare, contains, values_equal};

use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Handle;
use crate::syntax::ast::FnDef;
use crate::syntax::span::Span;
use indexmap::IndexMap;
use std::cell::RefCell;
use std::rc::Rc;

pub type Str = Rc<str>;
pub type List = Rc<RefCell<Items>>;
pub type DictMap = IndexMap<Key, Value, key_hash::KeyHash>;
pub type Dict = Rc<RefCell<Entries>>;

#[derive(Debug, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Str),
    /// Immutable bytes (`b"…"`, `s.encode()`, a socket's `recv`).
    Bytes(Rc<[u8]>),
    List(List),
    Dict(Dict),
    Range(Range),
    Func(Rc<Closure>),
    Native(Rc<Native>),
    Error(Rc<ErrorObj>),
    Handle(Handle),
}

impl Clone for Value {
    /// Inline: cloning a variable's value is the most frequent thing the
    /// evaluator does, and the compiler would otherwise call out for it.
    #[inline(always)]
    fn clone(&self) -> Value {
        match self {
            Value::Nil => Value::Nil,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            Value::Range(r) => Value::Range(*r),
            Value::Str(s) => Value::Str(s.clone()),
            Value::List(l) => Value::List(l.clone()),
            Value::Dict(d) => Value::Dict(d.clone()),
            Value::Func(f) => Value::Func(f.clone()),
            other => other.clone_rare(),
        }
    }
}

impl Value {
    #[inline(never)]
    fn clone_rare(&self) -> Value {
        match self {
            Value::Native(n) => Value::Native(n.clone()),
            Value::Bytes(b) => Value::Bytes(b.clone()),
            Value::Error(e) => Value::Error(e.clone()),
            Value::Handle(h) => Value::Handle(h.clone()),
            // `clone` copies every other kind itself and never comes here.
            other => other.clone(),
        }
    }

    /// Drop a value, with the check for "nothing to free" inline: the
    /// compiler's drop of a `Value` is an out-of-line call even for an int.
    #[inline(always)]
    pub fn discard(self) {
        match self {
            Value::Nil | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Range(_) => std::mem::forget(self),
            other => drop(other),
        }
    }
}

/// The largest string (in bytes) one operation may make. Linux overcommits
/// memory: a huge allocation may "succeed" and the process be killed when
/// it is touched, so sizes are checked against this cap first.
pub const MAX_STR_BYTES: usize = 1 << 30;
/// The largest list (in items, 16 bytes each) one operation may make.
pub const MAX_LIST_ITEMS: usize = 1 << 27;

/// A `MemoryError` for a string of `bytes` (if `None`: too many to count).
pub fn check_str_size(bytes: Option<usize>) -> Result<usize, Box<ErrorObj>> {
    match bytes {
        Some(n) if n <= MAX_STR_BYTES => Ok(n),
        _ => Err(ErrorObj::new(ErrorKind::MemoryError, "the string would be larger than 1 GiB")
            .with_help("mpscript caps one string at 1 GiB (2^30 bytes)")),
    }
}

/// A `MemoryError` for a list of `items` (if `None`: too many to count).
pub fn check_list_size(items: Option<usize>) -> Result<usize, Box<ErrorObj>> {
    match items {
        Some(n) if n <= MAX_LIST_ITEMS => Ok(n),
        _ => Err(ErrorObj::new(ErrorKind::MemoryError, "the list would have more than 2^27 items")
            .with_help("mpscript caps one list at 134,217,728 items (2 GiB)")),
    }
}

/// The items of a list: a `Vec` whose drop does not recurse, so letting
/// go of a long chain (`head = [i, head]` 300,000 times) cannot overflow
/// the native stack.
#[derive(Debug, Default)]
pub struct Items(pub Vec<Value>);

impl IntoIterator for Items {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;
    fn into_iter(mut self) -> Self::IntoIter {
        std::mem::take(&mut self.0).into_iter()
    }
}

impl From<Items> for Vec<Value> {
    fn from(mut items: Items) -> Vec<Value> {
        std::mem::take(&mut items.0)
    }
}

impl std::ops::Deref for Items {
    type Target = Vec<Value>;
    #[inline(always)]
    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl std::ops::DerefMut for Items {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.0
    }
}

impl From<Vec<Value>> for Items {
    fn from(v: Vec<Value>) -> Items {
        Items(v)
    }
}

/// The entries of a dict: a `DictMap` whose drop does not recurse (as
/// `Items`).
#[derive(Debug, Default)]
pub struct Entries(pub DictMap);

impl std::ops::Deref for Entries {
    type Target = DictMap;
    #[inline(always)]
    fn deref(&self) -> &DictMap {
        &self.0
    }
}

impl std::ops::DerefMut for Entries {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut DictMap {
        &mut self.0
    }
}

impl Drop for Entries {
    fn drop(&mut self) {
        if !self.0.values().any(sole_container) {
            return;
        }
        let work: Vec<Value> = self.0.drain(..).map(|(_, v)| v).collect();
        drop(Items(work));
    }
}

/// A container this value alone holds: dropping it drops its items too.
fn sole_container(v: &Value) -> bool {
    match v {
        Value::List(l) => Rc::strong_count(l) == 1 && Rc::weak_count(l) == 0,
        Value::Dict(d) => Rc::strong_count(d) == 1 && Rc::weak_count(d) == 0,
        _ => false,
    }
}

impl Drop for Items {
    /// Items that are containers held only here are emptied onto a work
    /// list first, so each drop below is shallow: no recursion at any depth.
    fn drop(&mut self) {
        if !self.0.iter().any(sole_container) {
            return;
        }
        let mut work = std::mem::take(&mut self.0);
        while let Some(v) = work.pop() {
            if sole_container(&v) {
                match &v {
                    Value::List(l) => {
                        if let Ok(mut items) = l.try_borrow_mut() {
                            work.append(&mut items.0);
                        }
                    }
                    Value::Dict(d) => {
                        if let Ok(mut map) = d.try_borrow_mut() {
                            work.extend(map.drain(..).map(|(_, x)| x));
                        }
                    }
                    _ => {}
                }
            }
            v.discard();
        }
    }
}

/// `start..end` or `start..=end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: i64,
    pub end: i64,
    pub inclusive: bool,
}

impl Range {
    /// The exclusive upper bound (saturating: `..=i64::MAX` stops there).
    pub fn stop(&self) -> i64 {
        if self.inclusive {
            self.end.saturating_add(1)
        } else {
            self.end
        }
    }

    pub fn len(&self) -> usize {
        (self.stop().saturating_sub(self.start)).max(0) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, v: i64) -> bool {
        v >= self.start && v < self.stop() || (self.inclusive && v == self.end && v == i64::MAX)
    }
}

/// A function value: its code and the frame it was created in.
#[derive(Debug)]
pub struct Closure {
    pub def: Rc<FnDef>,
    pub env: Option<Rc<Frame>>,
}

/// Local slots of one call; small frames live inline in the `Frame`
/// allocation (one allocation per call).
pub type Slots = smallvec::SmallVec<[Value; 6]>;

/// One call's local variables. A closure keeps its defining frame alive.
#[derive(Debug, Default)]
pub struct Frame {
    pub slots: RefCell<Slots>,
    pub parent: Option<Rc<Frame>>,
}

/// A function implemented in Rust: a builtin, or one a host registered.
pub struct Native {
    pub name: Str,
    pub call: NativeFn,
}

/// A builtin function: it sees the interpreter only as the runtime's `Host`.
pub type BuiltinFn = fn(&mut dyn crate::runtime::Host, &mut Args) -> Result<Value, Box<ErrorObj>>;
pub type HostFn = Rc<dyn Fn(&[Value]) -> Result<Value, String>>;

#[derive(Clone)]
pub enum NativeFn {
    Builtin(BuiltinFn),
    Host(HostFn),
}

impl std::fmt::Debug for Native {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<builtin {}>", self.name)
    }
}

/// Arguments of a native call: positional values, keyword values, and the
/// call's span for error messages.
#[derive(Debug, Default)]
pub struct Args {
    pub pos: Vec<Value>,
    pub kw: Vec<(Str, Value)>,
    pub span: Span,
    /// What is being called: `print`, or a method's name (`push`).
    pub name: Str,
    /// For a method, the receiver's type (`list`); empty for a function.
    /// Messages say `list.push`; the text is only built when one is shown.
    pub owner: &'static str,
}

/// A dictionary key: only these kinds of value can be keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    Nil,
    Bool(bool),
    Int(i64),
    Str(Str),
}

impl std::hash::Hash for Key {
    /// An int writes only itself (see `key_hash`); `true` hashes as 1, as in
    /// Python, though the keys stay distinct.
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        match self {
            Key::Int(i) => h.write_i64(*i),
            Key::Bool(b) => h.write_i64(*b as i64),
            Key::Nil => h.write_u8(0),
            Key::Str(s) => s.hash(h),
        }
    }
}

impl Key {
    /// An int (the common key) inline, anything else out of line.
    #[inline(always)]
    pub fn from_value(v: &Value) -> Result<Key, Box<ErrorObj>> {
        match v {
            Value::Int(i) => Ok(Key::Int(*i)),
            other => Key::from_other(other),
        }
    }

    #[inline(never)]
    fn from_other(v: &Value) -> Result<Key, Box<ErrorObj>> {
        Ok(match v {
            Value::Nil => Key::Nil,
            Value::Bool(b) => Key::Bool(*b),
            Value::Int(i) => Key::Int(*i),
            Value::Str(s) => Key::Str(s.clone()),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Key::Int(*f as i64),
            other => {
                return Err(ErrorObj::new(
                    ErrorKind::TypeError,
                    format!("a dict key must be a str, int, bool or nil, not {}", type_name(other)),
                ))
            }
        })
    }

    pub fn to_value(&self) -> Value {
        match self {
            Key::Nil => Value::Nil,
            Key::Bool(b) => Value::Bool(*b),
            Key::Int(i) => Value::Int(*i),
            Key::Str(s) => Value::Str(s.clone()),
        }
    }
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(s.into())
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(Items(items))))
    }

    pub fn dict(map: DictMap) -> Value {
        Value::Dict(Rc::new(RefCell::new(Entries(map))))
    }

    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.borrow().is_empty(),
            Value::Dict(d) => !d.borrow().is_empty(),
            Value::Range(r) => !r.is_empty(),
            _ => true,
        }
    }
}

impl Args {
    pub fn new(name: impl Into<Str>, span: Span) -> Args {
        Args { pos: Vec::new(), kw: Vec::new(), span, name: name.into(), owner: "" }
    }

    /// `print` or `list.push`, for messages.
    pub fn func(&self) -> String {
        if self.owner.is_empty() {
            self.name.to_string()
        } else {
            format!("{}.{}", self.owner, self.name)
        }
    }

    /// Fail unless the number of positional arguments is within `min..=max`
    /// and every keyword is one of `known`.
    pub fn check(&self, min: usize, max: usize, known: &[&str]) -> Result<(), Box<ErrorObj>> {
        let n = self.pos.len();
        if n < min || n > max {
            let want = match (min, max) {
                (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
                (a, usize::MAX) => format!("at least {a} argument{}", if a == 1 { "" } else { "s" }),
                (a, b) => format!("{a} to {b} arguments"),
            };
            return Err(ErrorObj::new(ErrorKind::TypeError, format!("{}() takes {want}, got {n}", self.func())));
        }
        if let Some((k, _)) = self.kw.iter().find(|(k, _)| !known.contains(&&**k)) {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("{}() has no keyword argument `{k}`", self.func()),
            ));
        }
        Ok(())
    }

    /// A keyword argument, or the positional one at `pos`, if given.
    pub fn opt(&self, pos: usize, kw: &str) -> Option<&Value> {
        self.kw.iter().find(|(k, _)| &**k == kw).map(|(_, v)| v).or_else(|| self.pos.get(pos))
    }

    pub fn kw(&self, kw: &str) -> Option<&Value> {
        self.kw.iter().find(|(k, _)| &**k == kw).map(|(_, v)| v)
    }

    pub fn get(&self, i: usize) -> &Value {
        self.pos.get(i).unwrap_or(&Value::Nil)
    }

    pub fn int(&self, i: usize, what: &str) -> Result<i64, Box<ErrorObj>> {
        match self.get(i) {
            Value::Int(i) => Ok(*i),
            other => expect_int(other, &self.func(), what),
        }
    }

    pub fn float(&self, i: usize, what: &str) -> Result<f64, Box<ErrorObj>> {
        match self.get(i) {
            Value::Float(f) => Ok(*f),
            other => expect_float(other, &self.func(), what),
        }
    }

    pub fn string(&self, i: usize, what: &str) -> Result<Str, Box<ErrorObj>> {
        match self.get(i) {
            Value::Str(s) => Ok(s.clone()),
            other => expect_str(other, &self.func(), what),
        }
    }
}

pub fn expect_int(v: &Value, func: &str, what: &str) -> Result<i64, Box<ErrorObj>> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(*b as i64),
        other => Err(wrong_type(func, what, "an int", other)),
    }
}

pub fn expect_float(v: &Value, func: &str, what: &str) -> Result<f64, Box<ErrorObj>> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) => Ok(*f),
        other => Err(wrong_type(func, what, "a number", other)),
    }
}

pub fn expect_str(v: &Value, func: &str, what: &str) -> Result<Str, Box<ErrorObj>> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        other => Err(wrong_type(func, what, "a str", other)),
    }
}

pub fn wrong_type(func: &str, what: &str, want: &str, got: &Value) -> Box<ErrorObj> {
    ErrorObj::new(ErrorKind::TypeError, format!("{func}(): {what} must be {want}, not {}", type_name(got)))
}

/// A Python-style index (negative counts from the end) checked against `len`.
pub fn list_index(index: &Value, len: usize) -> Result<usize, Box<ErrorObj>> {
    let i = match index {
        Value::Int(i) => *i,
        Value::Bool(b) => *b as i64,
        other => {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("an index must be an int, not {}", type_name(other)),
            ))
        }
    };
    let j = if i < 0 { i + len as i64 } else { i };
    if j < 0 || j >= len as i64 {
        return Err(ErrorObj::new(ErrorKind::IndexError, format!("index {i} is out of range for length {len}")));
    }
    Ok(j as usize)
}

/// The items of anything `for` can loop over.
pub fn items_of(v: &Value, func: &str) -> Result<Vec<Value>, Box<ErrorObj>> {
    Ok(match v {
        Value::List(l) => l.borrow().clone(),
        Value::Range(r) => {
            if r.len() > 100_000_000 {
                return Err(ErrorObj::new(ErrorKind::ValueError, format!("{func}(): range is too large")));
            }
            (r.start..r.stop()).map(Value::Int).collect()
        }
        Value::Dict(d) => d.borrow().keys().map(|k| k.to_value()).collect(),
        Value::Str(s) => s.chars().map(|c| Value::Str(c.to_string().into())).collect(),
        Value::Bytes(b) => b.iter().map(|&x| Value::Int(x as i64)).collect(),
        Value::Handle(h) => crate::runtime::iterate(h)?,
        other => {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("{func}() needs a list, range, dict, str or bytes, not {}", type_name(other)),
            ))
        }
    })
}
