//! What the runtime needs from the layer above it, and nothing more.
//!
//! [`Ctx`] is this process's runtime state (its label, children and
//! process-table slot, random stream, and the source map that turns the
//! spans the runtime records into `file:line` text). The interpreter owns
//! one and dereferences to it. [`Host`] is the one thing the runtime cannot
//! do itself: run script code — a signal handler at a safe point, a pool
//! callback or worker's function, a method of a list or dict a shared
//! object holds. Runtime functions are generic over `Host`: monomorphised
//! with the interpreter where the evaluator calls them (handle methods,
//! guards), so the hot paths pay no dynamic dispatch; builtin functions
//! (`print`, `lock()`), which `value` must be able to name, get
//! `&mut dyn Host`.

use super::Runtime;
use crate::diagnostics::{ErrorObj, Flow, ProcessLabel, R};
use crate::syntax::member::Member;
use crate::syntax::span::{SourceMap, Span};
use crate::value::wire::FnCodec;
use crate::value::{Args, Str, Value};
use std::ops::DerefMut;

/// One process's runtime state; a forked child continues with its copy.
pub struct Ctx {
    pub process: ProcessLabel,
    /// Children, the process-table slot and options of this process.
    pub rt: Runtime,
    pub rng: fastrand::Rng,
    /// `--seed`, kept so children can derive their own reproducible streams.
    pub seed: Option<u64>,
    /// Every source text this process has seen, to render spans.
    pub sources: SourceMap,
    /// The thread running now (swapped in by the thread that takes the GIL).
    pub thread: super::thread::ThreadIdent,
    /// The threads of this process.
    pub threads: super::thread::Threads,
}

impl Default for Ctx {
    fn default() -> Ctx {
        Ctx {
            process: ProcessLabel { name: "MainProcess".into(), pid: std::process::id() as i32 },
            rt: Runtime::default(),
            rng: fastrand::Rng::new(),
            seed: None,
            sources: SourceMap::default(),
            thread: super::thread::ThreadIdent { index: 0, tid: std::process::id() as i32 },
            threads: Default::default(),
        }
    }
}

impl Ctx {
    /// Stamp an error with the process that raised it.
    /// Also renders the places its message names (see `Place`).
    pub fn own(&self, mut e: Box<ErrorObj>) -> Box<ErrorObj> {
        if e.process.is_none() {
            e.process = Some(self.process.clone());
        }
        e.settle(&self.sources);
        e
    }

    /// The text of an error as the user sees it.
    pub fn render_error(&self, e: &ErrorObj) -> String {
        crate::diagnostics::render(e, &self.sources)
    }
}

/// The evaluator, as the runtime sees it: its [`Ctx`] (through `Deref`),
/// encoding of functions for the wire, and calling script code.
pub trait Host: DerefMut<Target = Ctx> {
    /// Encoding and decoding of functions for the wire.
    fn codec(&self) -> &dyn FnCodec;
    fn codec_mut(&mut self) -> &mut dyn FnCodec;
    /// Call a function value with positional arguments; errors only.
    fn call_function(&mut self, f: &Value, pos: Vec<Value>, span: Span) -> R<Value>;
    /// Call a function value with positional and keyword arguments; any flow.
    fn call_value(&mut self, f: &Value, pos: Vec<Value>, kw: Vec<(Str, Value)>, span: Span) -> Result<Value, Flow>;
    /// A builtin method of a plain value (`list.sort()` on a shared list's copy).
    fn call_method(&mut self, obj: &Value, m: &Member, a: &mut Args) -> R<Value>;
    /// Threads: put the running thread's state (call stack, `thread`, table
    /// slot) aside under its index — or drop it if it has ended — and take
    /// up the state of thread `to` (fresh if it has none).
    fn switch_thread(&mut self, to: u32);
    /// In a forked child: drop the states of the threads that did not come along.
    fn forget_threads(&mut self);
    /// Run a pool worker's initializer; the globals it changes become this
    /// process's own: functions received later use them, not the values
    /// they were sent with.
    fn run_initializer(&mut self, f: &Value, args: Vec<Value>) -> R<()>;
}

/// A host that runs no script code, for the runtime's own unit tests.
#[cfg(test)]
pub(crate) struct Bare(pub Ctx);

#[cfg(test)]
impl Bare {
    pub fn new() -> Bare {
        Bare(Ctx::default())
    }
}

#[cfg(test)]
impl std::ops::Deref for Bare {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.0
    }
}

#[cfg(test)]
impl std::ops::DerefMut for Bare {
    fn deref_mut(&mut self) -> &mut Ctx {
        &mut self.0
    }
}

#[cfg(test)]
impl Host for Bare {
    fn codec(&self) -> &dyn FnCodec {
        unreachable!("the runtime's unit tests send no functions")
    }
    fn codec_mut(&mut self) -> &mut dyn FnCodec {
        unreachable!("the runtime's unit tests send no functions")
    }
    fn call_function(&mut self, _: &Value, _: Vec<Value>, _: Span) -> R<Value> {
        unreachable!("the runtime's unit tests run no script code")
    }
    fn call_value(&mut self, _: &Value, _: Vec<Value>, _: Vec<(Str, Value)>, _: Span) -> Result<Value, Flow> {
        unreachable!("the runtime's unit tests run no script code")
    }
    fn call_method(&mut self, _: &Value, _: &Member, _: &mut Args) -> R<Value> {
        unreachable!("the runtime's unit tests run no script code")
    }
    fn switch_thread(&mut self, _: u32) {}
    fn forget_threads(&mut self) {}
    fn run_initializer(&mut self, _: &Value, _: Vec<Value>) -> R<()> {
        unreachable!("the runtime's unit tests run no script code")
    }
}
