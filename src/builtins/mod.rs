//! Builtin functions and the methods of lists, dicts and strings, grouped by
//! domain. `install` defines every builtin as a global; `call_method`
//! dispatches `value.name(args)` by the receiver's type.

mod collections;
mod core;
mod files;
mod os;
mod text;

use crate::diagnostics::ErrorObj;
use crate::eval::Interp;
use crate::value::{type_name, Args, BuiltinFn, NativeFn, Value};

pub type BResult = Result<Value, Box<ErrorObj>>;

pub fn install(interp: &mut Interp) {
    let tables: [&[(&str, BuiltinFn)]; 4] =
        [core::BUILTINS, files::BUILTINS, os::BUILTINS, crate::runtime::CONSTRUCTORS];
    for table in tables {
        for (name, f) in table {
            interp.define_native(name, NativeFn::Builtin(*f));
        }
    }
    interp.define_global("args", Value::list(vec![]));
}

/// `obj.name(args)`.
pub fn call_method(interp: &mut Interp, obj: &Value, name: &str, args: &mut Args) -> BResult {
    args.name = method_name(type_name(obj), name);
    match obj {
        Value::List(l) => collections::list_method(interp, l, name, args),
        Value::Dict(d) => collections::dict_method(interp, d, name, args),
        Value::Str(s) => text::str_method(interp, s, name, args),
        Value::Handle(h) => crate::runtime::call_method(interp, h, name, args),
        _ => Err(no_method(obj, name)),
    }
}

/// `list.push`-style names for messages, made once per (type, method):
/// formatting one on every call cost as much as a whole `sem.acquire()`.
fn method_name(ty: &'static str, name: &str) -> crate::value::Str {
    type Cache = rustc_hash::FxHashMap<&'static str, rustc_hash::FxHashMap<Box<str>, crate::value::Str>>;
    thread_local! {
        static CACHE: std::cell::RefCell<Cache> = Default::default();
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        let by_name = c.entry(ty).or_default();
        if let Some(s) = by_name.get(name) {
            return s.clone();
        }
        let s: crate::value::Str = format!("{ty}.{name}").into();
        by_name.insert(name.into(), s.clone());
        s
    })
}

pub(crate) fn no_method(obj: &Value, name: &str) -> Box<ErrorObj> {
    ErrorObj::new("AttributeError", format!("{} has no method `{name}`", type_name(obj)))
}
