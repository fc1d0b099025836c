//! mpscript: a small scripting language whose concurrency keywords run on
//! real forked processes. See `Engine` for embedding.

pub(crate) mod builtins;
pub(crate) mod diagnostics;
pub(crate) mod eval;
pub(crate) mod help;
pub(crate) mod repl;
pub(crate) mod repl_editor;
pub(crate) mod resolve;
pub(crate) mod runtime;
pub(crate) mod syntax;
pub(crate) mod value;

pub use diagnostics::ErrorKind;
pub use value::Value;

mod api;
pub use api::explore::Explorer;
pub use api::{Engine, Error, FromValue, HostFunction, IntoValue};
pub use runtime::remote::worker::WorkerOptions;

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        value::values_equal(self, other)
    }
}
