//! Builtin functions and the methods of lists, dicts and strings, grouped by
//! domain. `install` defines every builtin as a global; `call_method`
//! dispatches `value.name(args)` by the receiver's type.

mod bytes;
mod collections;
mod console;
mod core;
pub(crate) use core::items_of;
mod files;
mod fmtspec;
mod iter;
pub use fmtspec::format_spec;
mod os;
mod text;

use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::eval::Interp;
use crate::syntax::member::Member;
use crate::value::{type_name, Args, BuiltinFn, NativeFn, Value};

pub type BResult = Result<Value, Box<ErrorObj>>;

pub fn install(interp: &mut Interp) {
    let tables: [&[(&str, BuiltinFn)]; 10] = [
        core::BUILTINS,
        bytes::BUILTINS,
        files::BUILTINS,
        os::BUILTINS,
        iter::BUILTINS,
        console::BUILTINS,
        crate::runtime::CONSTRUCTORS,
        crate::runtime::socket::BUILTINS,
        crate::runtime::thread::BUILTINS,
        crate::help::BUILTINS,
    ];
    for table in tables {
        for (name, f) in table {
            interp.define_native(name, NativeFn::Builtin(*f));
        }
    }
    interp.define_global("args", Value::list(vec![]));
}

/// `obj.name(args)`.
pub fn call_method(interp: &mut Interp, obj: &Value, m: &Member, args: &mut Args) -> BResult {
    args.owner = type_name(obj);
    match obj {
        Value::List(l) => collections::list_method(interp, l, m, args),
        Value::Dict(d) => collections::dict_method(interp, d, m, args),
        Value::Str(s) if *m == Member::Encode => bytes::encode(s, args),
        Value::Str(s) => text::str_method(interp, s, m, args),
        Value::Bytes(b) => bytes::bytes_method(b, m, args),
        Value::Handle(h) => {
            // Every primitive operation is a scheduling point under `explore`.
            crate::runtime::explore::point(interp)?;
            crate::runtime::call_method(interp, h, m, args)
        }
        _ => Err(no_method(obj, m.as_str())),
    }
}

pub(crate) fn no_method(obj: &Value, name: &str) -> Box<ErrorObj> {
    ErrorObj::new(ErrorKind::AttributeError, format!("{} has no method `{name}`", type_name(obj)))
}
