//! mpscript: a small scripting language whose concurrency keywords run on
//! real forked processes. See `Engine` for embedding.

pub mod builtins;
pub mod diagnostics;
pub mod eval;
pub mod repl;
pub mod resolve;
pub mod runtime;
pub mod syntax;
pub mod value;

pub use diagnostics::ErrorKind;
pub use value::Value;

mod api;
pub use api::{Engine, Error, FromValue, HostFunction, IntoValue};

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        value::values_equal(self, other)
    }
}
