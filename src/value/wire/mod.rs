//! Wire encoding: how a value crosses a process boundary (queues, pipes,
//! shared objects). `Value` ↔ message (functions, value) ↔ postcard bytes;
//! plain data is written and read directly (`bytes.rs`), the rest through
//! `WireValue`.
//!
//! - Plain data (nil, bool, int, float, str, bytes, list, dict in insertion
//!   order, range) is copied.
//! - A function travels as its source text plus the current values of the
//!   free variables it uses (locals of enclosing functions and user globals;
//!   builtins are left to the receiver's own), encoded recursively. Every
//!   function of a message is encoded once, in the message's function list,
//!   and named by its index, so recursion and mutual references survive. The receiver
//!   re-parses the text and binds the captured names in one enclosing frame.
//! - A builtin travels by name; an error value as its kind and message.
//! - A handle travels by identity (arena offset, pid, pipe id) and decodes to
//!   the same OS-level object; where it cannot be used (a pipe end created
//!   after the receiver was forked) using it is a clear error there.
//!
//! Anything else is a clear `TypeError` at the sender, never a silent copy.

use super::{Closure, Frame, Key, Range, Value};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::process::ProcessHandle;
use crate::runtime::{self, Handle};
use crate::syntax::ast::{FnDef, Name};
use crate::syntax::span::Source;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

mod bytes;

use crate::diagnostics::R;

/// What encoding and decoding functions needs of the interpreter (which
/// implements it): where a function's text is, what it captures, and
/// compiling a received function. Only called for functions, builtins and
/// process handles, never for plain data.
pub trait FnCodec {
    /// A source this process has read, by id.
    fn source(&self, src: crate::syntax::span::SourceId) -> Option<&Source>;
    /// The current values of the free variables a function uses (locals of
    /// enclosing functions and user globals), by name; a builtin under its
    /// own name and a global not yet defined are left to the receiver.
    fn captures(&self, c: &Closure) -> Vec<(Name, Value)>;
    /// A received function's code: `text`, written at `origin:line:col`,
    /// with `captured` bound in one enclosing frame.
    fn compile_received(&mut self, origin: &str, line: u32, col: u32, text: &str, captured: &[Name]) -> R<Rc<FnDef>>;
    /// This process's builtin of that name.
    fn builtin(&self, name: &str) -> Option<Value>;
    /// This process's own handle of its child `pid`, if it is one.
    fn child(&self, pid: i32) -> Option<Rc<ProcessHandle>>;
    /// A global this process set for itself (a pool worker's initializer
    /// did): a received function reads this process's value of it, not
    /// the captured one.
    fn own_global(&self, _name: &str) -> bool {
        false
    }
}

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
    /// Index into the message's function list.
    Func(u32),
    Builtin(String),
    Error {
        kind: ErrorKind,
        message: String,
    },
    Handle(WireHandle),
    Bytes(Vec<u8>),
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum WireHandle {
    Process {
        pid: i32,
        slot: u32,
        name: String,
        daemon: bool,
        parent: i32,
    },
    Lock(u32),
    Sem(u32),
    Event(u32),
    Shared(u32),
    Queue(u32),
    Pipe(runtime::pipe::PipeId),
    /// The depot token of a socket's descriptor (runtime/fdpass.rs).
    Socket(u64),
    RLock(u32),
    Condition(u32),
    Barrier(u32),
}

/// A function: where its text came from, the text, and its captured values.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct WireFn {
    pub origin: String,
    pub line: u32,
    pub col: u32,
    pub text: String,
    pub captures: Vec<(String, WireValue)>,
}

/// Encodes one message; `interp` is needed for functions (their source and
/// the globals they use).
struct Encoder<'a> {
    interp: Option<&'a dyn FnCodec>,
    funcs: Vec<Option<WireFn>>,
    ids: FxHashMap<*const Closure, u32>,
}

impl WireValue {
    /// Plain data and handles only (what a shared object stores).
    pub fn from_value(v: &Value) -> R<WireValue> {
        Encoder { interp: None, funcs: Vec::new(), ids: FxHashMap::default() }.value(v, 0)
    }
}

fn too_deep() -> Box<ErrorObj> {
    ErrorObj::new(
        ErrorKind::ValueError,
        format!("cannot send a value nested more than {MAX_DEPTH} deep (does a list contain itself?)"),
    )
}

impl Encoder<'_> {
    fn value(&mut self, v: &Value, depth: usize) -> R<WireValue> {
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        Ok(match v {
            Value::Nil => WireValue::Nil,
            Value::Bool(b) => WireValue::Bool(*b),
            Value::Int(i) => WireValue::Int(*i),
            Value::Float(f) => WireValue::Float(*f),
            Value::Str(s) => WireValue::Str(s.to_string()),
            Value::Bytes(b) => WireValue::Bytes(b.to_vec()),
            Value::Range(r) => WireValue::Range(r.start, r.end, r.inclusive),
            Value::List(items) => {
                WireValue::List(items.borrow().iter().map(|x| self.value(x, depth + 1)).collect::<R<_>>()?)
            }
            Value::Dict(map) => WireValue::Dict(
                map.borrow()
                    .iter()
                    .map(|(k, x)| Ok((self.value(&k.to_value(), depth + 1)?, self.value(x, depth + 1)?)))
                    .collect::<R<_>>()?,
            ),
            Value::Native(n) => WireValue::Builtin(n.name.to_string()),
            Value::Error(e) => WireValue::Error { kind: e.kind.clone(), message: e.message.clone() },
            Value::Handle(Handle::Socket(s)) => {
                if self.interp.is_none() {
                    return Err(ErrorObj::new(ErrorKind::TypeError, "a socket cannot be stored in a shared object")
                        .with_help("send it through a queue or a pipe, or pass it to a pool task"));
                }
                WireValue::Handle(WireHandle::Socket(s.deposit()?))
            }
            Value::Handle(h) => WireValue::Handle(handle_to_wire(h)?),
            Value::Func(c) => WireValue::Func(self.func(c, depth)?),
        })
    }

    fn func(&mut self, c: &Rc<Closure>, depth: usize) -> R<u32> {
        if let Some(&id) = self.ids.get(&Rc::as_ptr(c)) {
            return Ok(id);
        }
        let Some(interp) = self.interp else {
            return Err(ErrorObj::new(ErrorKind::TypeError, "a function cannot be stored in a shared object")
                .with_help("shared objects hold data and handles; send functions through a queue or a pipe"));
        };
        let def = &c.def;
        let src = interp
            .source(def.span.src)
            .ok_or_else(|| ErrorObj::new(ErrorKind::TypeError, "cannot send a function whose source is unknown"))?;
        let text = src.text.get(def.span.start as usize..def.span.end as usize).unwrap_or_default();
        if !text.starts_with("fn") {
            return Err(ErrorObj::new(ErrorKind::TypeError, "a `spawn { }` block cannot be sent to another process"));
        }
        let (line, col) = crate::syntax::span::line_col(&src.text, def.span.start as usize);
        let id = self.funcs.len() as u32;
        self.ids.insert(Rc::as_ptr(c), id);
        self.funcs.push(None);
        let mut captures = Vec::new();
        for (name, value) in interp.captures(c) {
            let wire = self.value(&value, depth + 1).map_err(|mut e| {
                e.message = format!("{} (captured variable `{name}`)", e.message);
                e
            })?;
            captures.push((name.to_string(), wire));
        }
        self.funcs[id as usize] = Some(WireFn {
            origin: src.name.clone(),
            line: line as u32,
            col: col as u32,
            text: text.to_string(),
            captures,
        });
        Ok(id)
    }
}

fn handle_to_wire(h: &Handle) -> R<WireHandle> {
    Ok(match h {
        Handle::Process(p) => WireHandle::Process {
            pid: p.pid,
            slot: p.slot,
            name: p.name.borrow().clone(),
            daemon: p.daemon,
            parent: p.parent,
        },
        Handle::Lock(l) => WireHandle::Lock(l.0 .0),
        Handle::Sem(s) => WireHandle::Sem(s.0 .0),
        Handle::Event(e) => WireHandle::Event(e.0 .0),
        Handle::Shared(s) => WireHandle::Shared(s.0 .0),
        Handle::Queue(q) => WireHandle::Queue(q.0 .0),
        Handle::RLock(r) => WireHandle::RLock(r.0 .0),
        Handle::Condition(c) => WireHandle::Condition(c.0 .0),
        Handle::Barrier(b) => WireHandle::Barrier(b.0 .0),
        Handle::Pipe(p) => {
            if p.is_closed() {
                return Err(ErrorObj::new(ErrorKind::IOError, "cannot send a closed pipe end"));
            }
            WireHandle::Pipe(p.id())
        }
        Handle::Socket(_) => {
            return Err(ErrorObj::new(ErrorKind::TypeError, "a socket is sent through a queue, a pipe or a pool"))
        }
        Handle::Manager(_) | Handle::RemoteQueue(_) | Handle::RemoteDict(_) => {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("a {} cannot be sent to another process", h.type_name()),
            )
            .with_help("send its URL and name instead, and call manager(url, authkey=…) there"))
        }
        Handle::Pool(_) | Handle::AsyncResult(_) | Handle::Thread(_) | Handle::Local(_) | Handle::Results(_) => {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("a {} belongs to the process that made it and cannot be sent to another one", h.type_name()),
            ))
        }
    })
}

/// Encode any value as bytes: a message, i.e. the postcard bytes of its
/// functions (`Vec<WireFn>`) then of its value (`WireValue`). Without
/// `interp`, functions are refused.
pub fn encode_with(interp: Option<&dyn FnCodec>, v: &Value) -> R<Vec<u8>> {
    let mut out = Vec::new();
    message_into(interp, &mut out, |enc, out| enc.write(v, 0, out))?;
    Ok(out)
}

/// Append the message of `v` to `out` (after a header, say).
pub fn encode_into(interp: &dyn FnCodec, v: &Value, out: &mut Vec<u8>) -> R<()> {
    message_into(Some(interp), out, |enc, out| enc.write(v, 0, out))
}

/// Append the message of `v` to `out`, refusing functions (`encode_data`).
pub fn encode_data_into(v: &Value, out: &mut Vec<u8>) -> R<()> {
    message_into(None, out, |enc, out| enc.write(v, 0, out))
}

/// Append the message of a list of `items` to `out`: the same bytes as
/// `encode_into` of `Value::list(items.to_vec())`, without the copy.
pub fn encode_list_into(interp: &dyn FnCodec, items: &[Value], out: &mut Vec<u8>) -> R<()> {
    message_into(Some(interp), out, |enc, out| enc.write_list(items, 0, out))
}

fn message_into(
    interp: Option<&dyn FnCodec>,
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Encoder, &mut Vec<u8>) -> R<()>,
) -> R<()> {
    let mut enc = Encoder { interp, funcs: Vec::new(), ids: FxHashMap::default() };
    // A message is its function list, then its value: write the value
    // after an empty list, and put the real list in its place if it is not.
    let start = out.len();
    out.push(0);
    write(&mut enc, out)?;
    if enc.funcs.is_empty() {
        return Ok(());
    }
    let funcs: Vec<WireFn> =
        enc.funcs.into_iter().map(|f| f.expect("every function is filled in after its captures")).collect();
    let head = postcard::to_allocvec(&funcs)
        .map_err(|e| ErrorObj::new(ErrorKind::ValueError, format!("cannot encode value: {e}")))?;
    out.splice(start..start + 1, head);
    Ok(())
}

/// The largest scratch buffer kept for the next `with_buffer`.
const BUFFER_KEPT: usize = 1 << 16;

thread_local! {
    static BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Run `f` on an empty buffer kept between calls, for bytes that are copied
/// elsewhere at once (into a queue slot, a shared object's block): no
/// allocation per operation. Re-entrant: a call nested in `f` (a signal
/// handler running during a blocked put) just gets a new buffer.
pub fn with_buffer<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    let mut buf = BUFFER.take();
    buf.clear();
    let out = f(&mut buf);
    if buf.capacity() <= BUFFER_KEPT {
        BUFFER.set(buf);
    }
    out
}

/// Encode a value to send to another process.
pub fn encode(interp: &dyn FnCodec, v: &Value) -> R<Vec<u8>> {
    encode_with(Some(interp), v)
}

/// Encode data and handles (no functions): what a shared object stores.
pub fn encode_data(v: &Value) -> R<Vec<u8>> {
    encode_with(None, v)
}

/// Decode bytes made by `encode` in any process of the program.
pub fn decode(interp: &mut dyn FnCodec, bytes: &[u8]) -> R<Value> {
    decode_with(Some(interp), bytes)
}

/// Decode bytes made by `encode_data`.
pub fn decode_data(bytes: &[u8]) -> R<Value> {
    decode_with(None, bytes)
}

/// A message: its function list (through serde), then its value.
fn decode_with(interp: Option<&mut dyn FnCodec>, bytes: &[u8]) -> R<Value> {
    let (funcs, mut rest) = postcard::take_from_bytes::<Vec<WireFn>>(bytes)
        .map_err(|e| ErrorObj::new(ErrorKind::ValueError, format!("cannot decode value: {e}")))?;
    Decoder::new(interp, funcs)?.read(&mut rest, 0)
}

struct Decoder<'a> {
    interp: Option<&'a mut dyn FnCodec>,
    funcs: Vec<Rc<Closure>>,
}

impl<'a> Decoder<'a> {
    /// Rebuild the message's functions: compile each (cached per process),
    /// then fill their captured frames, which may refer to each other.
    fn new(mut interp: Option<&'a mut dyn FnCodec>, wire_fns: Vec<WireFn>) -> R<Decoder<'a>> {
        if wire_fns.is_empty() {
            return Ok(Decoder { interp, funcs: Vec::new() });
        }
        let Some(it) = interp.as_deref_mut() else {
            return Err(ErrorObj::new(ErrorKind::TypeError, "a function cannot be decoded here"));
        };
        let mut funcs = Vec::with_capacity(wire_fns.len());
        let mut wire_fns = wire_fns;
        for f in &mut wire_fns {
            f.captures.retain(|(n, _)| !it.own_global(n));
        }
        for f in &wire_fns {
            let names: Vec<Name> = f.captures.iter().map(|(n, _)| Name::from(n.as_str())).collect();
            let def = it.compile_received(&f.origin, f.line, f.col, &f.text, &names)?;
            let frame = Frame { slots: RefCell::new(names.iter().map(|_| Value::Nil).collect()), parent: None };
            funcs.push(Rc::new(Closure { def, env: Some(Rc::new(frame)) }));
        }
        let mut dec = Decoder { interp, funcs };
        for (i, f) in wire_fns.into_iter().enumerate() {
            let values = f.captures.into_iter().map(|(_, w)| dec.value(w)).collect::<R<Vec<_>>>()?;
            if let Some(env) = &dec.funcs[i].env {
                env.slots.borrow_mut().iter_mut().zip(values).for_each(|(s, v)| *s = v);
            }
        }
        Ok(dec)
    }

    fn value(&mut self, w: WireValue) -> R<Value> {
        Ok(match w {
            WireValue::Nil => Value::Nil,
            WireValue::Bool(b) => Value::Bool(b),
            WireValue::Int(i) => Value::Int(i),
            WireValue::Float(f) => Value::Float(f),
            WireValue::Str(s) => Value::Str(s.into()),
            WireValue::Bytes(b) => Value::Bytes(b.into()),
            WireValue::List(items) => Value::list(items.into_iter().map(|x| self.value(x)).collect::<R<_>>()?),
            WireValue::Dict(pairs) => {
                let mut map = super::DictMap::default();
                for (k, v) in pairs {
                    let k = Key::from_value(&self.value(k)?)?;
                    map.insert(k, self.value(v)?);
                }
                Value::dict(map)
            }
            WireValue::Range(start, end, inclusive) => Value::Range(Range { start, end, inclusive }),
            WireValue::Func(i) => Value::Func(
                self.funcs
                    .get(i as usize)
                    .cloned()
                    .ok_or_else(|| ErrorObj::new(ErrorKind::ValueError, "bad function index"))?,
            ),
            WireValue::Builtin(name) => {
                let found = self.interp.as_deref().and_then(|it| it.builtin(&name));
                match found {
                    Some(v @ Value::Native(_)) => v,
                    _ => {
                        return Err(ErrorObj::new(
                            ErrorKind::NameError,
                            format!("builtin `{name}` does not exist here"),
                        ))
                    }
                }
            }
            WireValue::Error { kind, message } => Value::Error(Rc::new(*ErrorObj::new(kind, message))),
            WireValue::Handle(h) => self.handle(h)?,
        })
    }

    fn handle(&mut self, h: WireHandle) -> R<Value> {
        use crate::runtime::shm::Offset;
        Ok(Value::Handle(match h {
            WireHandle::Process { pid, slot, name, daemon, parent } => {
                let own = self.interp.as_deref().and_then(|it| it.child(pid));
                Handle::Process(
                    own.unwrap_or_else(|| runtime::process::ProcessHandle::running(pid, slot, name, daemon, parent)),
                )
            }
            WireHandle::Lock(o) => Handle::Lock(runtime::lock::Lock(Offset(o))),
            WireHandle::Sem(o) => Handle::Sem(runtime::sem::Sem(Offset(o))),
            WireHandle::Event(o) => Handle::Event(runtime::event::Event(Offset(o))),
            WireHandle::Shared(o) => Handle::Shared(runtime::shared::Shared(Offset(o))),
            WireHandle::Queue(o) => Handle::Queue(runtime::queue::Queue(Offset(o))),
            WireHandle::RLock(o) => Handle::RLock(runtime::rlock::RLock(Offset(o))),
            WireHandle::Condition(o) => Handle::Condition(runtime::condition::Condition(Offset(o))),
            WireHandle::Barrier(o) => Handle::Barrier(runtime::barrier::Barrier(Offset(o))),
            WireHandle::Pipe(id) => Handle::Pipe(runtime::pipe::PipeEnd::from_id(id)),
            WireHandle::Socket(token) => {
                return Ok(runtime::socket::Socket::from_received(runtime::fdpass::claim(token)?))
            }
        }))
    }
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
        let back = decode_data(&encode_data(&v).unwrap()).unwrap();
        assert!(crate::value::values_equal(&v, &back));
    }

    /// Plain values of every kind, nested, with edge-case numbers and text.
    fn plain_samples() -> Vec<Value> {
        let mut dict = crate::value::DictMap::default();
        dict.insert(Key::Str("k".into()), Value::Int(1));
        dict.insert(Key::Int(-300), Value::list(vec![Value::Float(-0.5), Value::Nil]));
        dict.insert(Key::Bool(false), Value::str(""));
        dict.insert(Key::Nil, Value::Range(Range { start: i64::MIN, end: i64::MAX, inclusive: false }));
        vec![
            Value::Nil,
            Value::Bool(false),
            Value::Int(0),
            Value::Int(127),
            Value::Int(-65),
            Value::Int(i64::MAX),
            Value::Int(i64::MIN),
            Value::Float(f64::NAN),
            Value::Float(1e300),
            Value::str("hé ☃"),
            Value::str(&"x".repeat(1024)),
            Value::str(&"y".repeat(70_000)),
            Value::list(vec![]),
            Value::list((0..200).map(Value::Int).collect()),
            Value::dict(dict.clone()),
            Value::list(vec![Value::dict(dict), Value::list(vec![Value::list(vec![Value::Bool(true)])])]),
        ]
    }

    #[test]
    fn plain_samples_round_trip_to_the_same_bytes() {
        for v in plain_samples() {
            let bytes = encode_data(&v).unwrap();
            let back = decode_data(&bytes).unwrap();
            // Compared as bytes: NaN is not equal to itself.
            assert_eq!(encode_data(&back).unwrap(), bytes, "{v:?}");
        }
    }

    #[test]
    fn damaged_or_too_deep_data_is_an_error() {
        let ok = encode_data(&Value::str("abc")).unwrap();
        assert!(decode_data(&ok[..ok.len() - 1]).is_err());
        let mut deep = Value::Nil;
        for _ in 0..=MAX_DEPTH + 1 {
            deep = Value::list(vec![deep]);
        }
        assert!(encode_data(&deep).unwrap_err().message.contains("nested"));
    }

    #[test]
    fn errors_round_trip_as_kind_and_message() {
        let e = Value::Error(Rc::new(*ErrorObj::new(ErrorKind::ValueError, "bad")));
        match decode_data(&encode_data(&e).unwrap()).unwrap() {
            Value::Error(back) => assert_eq!((&back.kind, back.message.as_str()), (&ErrorKind::ValueError, "bad")),
            other => panic!("{other:?}"),
        }
    }

    /// Plain data never asks the interpreter anything.
    struct NoFns;
    impl FnCodec for NoFns {
        fn source(&self, _: crate::syntax::span::SourceId) -> Option<&Source> {
            unreachable!()
        }
        fn captures(&self, _: &Closure) -> Vec<(Name, Value)> {
            unreachable!()
        }
        fn compile_received(&mut self, _: &str, _: u32, _: u32, _: &str, _: &[Name]) -> R<Rc<FnDef>> {
            unreachable!()
        }
        fn builtin(&self, _: &str) -> Option<Value> {
            unreachable!()
        }
        fn child(&self, _: i32) -> Option<Rc<ProcessHandle>> {
            unreachable!()
        }
    }

    #[test]
    fn a_list_from_a_slice_is_the_list_message_after_a_header() {
        let interp = NoFns;
        let items = vec![Value::Int(-3), Value::str("x"), Value::list(vec![Value::Nil])];
        let mut out = b"head".to_vec();
        encode_list_into(&interp, &items, &mut out).unwrap();
        assert_eq!(&out[..4], b"head");
        assert_eq!(out[4..], encode(&interp, &Value::list(items)).unwrap()[..]);
    }
}
