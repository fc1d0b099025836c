//! The interpreter: walks the resolved AST — expressions in `expr.rs`,
//! statements in `stmt.rs`, calls in `call.rs`. It sits above the runtime:
//! primitives are dispatched to `runtime/`, builtins to `builtins/`, and
//! `Interp` owns the runtime's `Ctx` (it dereferences to it) and implements
//! `runtime::Host` (calling script code for the runtime) and
//! `value::wire::FnCodec` (functions crossing processes). Nothing below
//! imports this module.

mod call;
pub use crate::value::list_index;
pub use call::exit_error;
mod expr;
mod stmt;

use crate::diagnostics::{syntax_error, ErrorKind, ErrorObj, Flow};
use crate::resolve::{free_vars, Captured, GlobalTable, Resolver};
use crate::runtime::process::ProcessHandle;
use crate::runtime::{Ctx, Host};
use crate::syntax::ast::{ExprKind, FnDef, Name, Program, StmtKind};
use crate::syntax::member::Member;
use crate::syntax::span::{Source, SourceId, Span};
use crate::value::wire::FnCodec;
use crate::value::{Args, Closure, Frame, Native, NativeFn, Str, Value};
use std::rc::Rc;

/// How deep mpscript calls may nest before `RecursionError`.
pub const MAX_CALL_DEPTH: usize = 2_000;

/// One process's interpreter state. A forked child continues with its copy.
pub struct Interp {
    pub globals: Vec<Option<Value>>,
    pub global_names: GlobalTable,
    /// `args`: the command-line arguments after the script's name.
    pub script_args: Vec<String>,
    /// What the runtime sees of this process (the interpreter dereferences
    /// to it: `interp.rt`, `interp.sources`).
    pub ctx: Ctx,
    pub(crate) depth: usize,
    /// The value of the `return` being unwound.
    pub(crate) ret: Value,
    /// Locals of the calls whose functions make no closures, and where the
    /// current call's start (`Slot::Stack(i)` is `stack[base + i]`).
    pub(crate) stack: Vec<Value>,
    pub(crate) base: usize,
    pub(crate) root: Rc<Frame>,
    /// Functions received from other processes, compiled once each (by
    /// origin, position, text and captured names).
    received: rustc_hash::FxHashMap<String, Rc<FnDef>>,
    /// The state of the threads of this process that are not running now.
    parked: rustc_hash::FxHashMap<u32, Parked>,
    /// Emptied argument lists of finished method calls, reused by the next
    /// ones (no allocation per call).
    pub(crate) arg_lists: Vec<Vec<Value>>,
}

/// What is a thread's own: its call stack and where it stands in the
/// runtime (id, table slot). Swapped by `switch_thread`.
#[derive(Default)]
struct Parked {
    stack: Vec<Value>,
    base: usize,
    depth: usize,
    ret: Value,
    slot: u32,
    tid: i32,
}

impl Default for Interp {
    fn default() -> Self {
        Interp::new()
    }
}

impl Interp {
    pub fn new() -> Interp {
        let mut interp = Interp {
            globals: Vec::new(),
            global_names: GlobalTable::default(),
            script_args: Vec::new(),
            ctx: Ctx::default(),
            depth: 0,
            ret: Value::Nil,
            stack: Vec::new(),
            base: 0,
            root: Rc::new(Frame::default()),
            received: Default::default(),
            parked: Default::default(),
            arg_lists: Vec::new(),
        };
        crate::builtins::install(&mut interp);
        interp
    }

    pub fn set_seed(&mut self, seed: u64) {
        self.seed = Some(seed);
        self.rng = fastrand::Rng::with_seed(seed);
    }

    /// Define (or redefine) a global variable.
    pub fn define_global(&mut self, name: &str, value: Value) {
        let slot = self.global_names.declare(&name.into()) as usize;
        if self.globals.len() <= slot {
            self.globals.resize(slot + 1, None);
        }
        self.globals[slot] = Some(value);
    }

    pub fn define_native(&mut self, name: &str, call: NativeFn) {
        let native = Native { name: name.into(), call };
        self.define_global(name, Value::Native(Rc::new(native)));
    }

    /// Parse and resolve a source; syntax and static errors come back as
    /// `SyntaxError` diagnostics.
    pub fn compile(&mut self, name: &str, text: &str, check_names: bool) -> Result<Program, Box<ErrorObj>> {
        let src = self.sources.add(name, text);
        self.compile_source(src, check_names)
    }

    pub fn compile_source(&mut self, src: SourceId, check_names: bool) -> Result<Program, Box<ErrorObj>> {
        let text = self.sources.get(src).map(|s| s.text.clone()).unwrap_or_default();
        let mut program = crate::syntax::parse_program(&text, src).map_err(syntax_error)?;
        let resolver = Resolver::new(&mut self.global_names);
        if check_names {
            resolver.check(&mut program)?;
        } else {
            resolver.resolve(&mut program).map_err(syntax_error)?;
        }
        if self.globals.len() < self.global_names.len() {
            self.globals.resize(self.global_names.len(), None);
        }
        Ok(program)
    }

    /// Run top-level statements. Returns the value of the last statement if
    /// it is an expression (what the REPL echoes).
    pub fn run(&mut self, program: &Program) -> Result<Value, Flow> {
        let root = self.root.clone();
        let mut last = Value::Nil;
        for stmt in &program.stmts {
            match &stmt.kind {
                StmtKind::Expr(e) => last = self.eval(e, &root)?,
                _ => {
                    self.exec(stmt, &root)?;
                    last = Value::Nil;
                }
            }
        }
        Ok(last)
    }
}

impl std::ops::Deref for Interp {
    type Target = Ctx;
    #[inline(always)]
    fn deref(&self) -> &Ctx {
        &self.ctx
    }
}

impl std::ops::DerefMut for Interp {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Ctx {
        &mut self.ctx
    }
}

impl Host for Interp {
    #[inline(always)]
    fn codec(&self) -> &dyn FnCodec {
        self
    }

    #[inline(always)]
    fn codec_mut(&mut self) -> &mut dyn FnCodec {
        self
    }

    fn call_function(&mut self, f: &Value, pos: Vec<Value>, span: Span) -> Result<Value, Box<ErrorObj>> {
        Interp::call_function(self, f, pos, span)
    }

    fn call_value(&mut self, f: &Value, pos: Vec<Value>, kw: Vec<(Str, Value)>, span: Span) -> Result<Value, Flow> {
        Interp::call_value(self, f, pos, kw, span)
    }

    fn call_method(&mut self, obj: &Value, m: &Member, a: &mut Args) -> Result<Value, Box<ErrorObj>> {
        crate::builtins::call_method(self, obj, m, a)
    }

    fn switch_thread(&mut self, to: u32) {
        let from = self.ctx.thread.index;
        let out = Parked {
            stack: std::mem::take(&mut self.stack),
            base: self.base,
            depth: self.depth,
            ret: std::mem::take(&mut self.ret),
            slot: self.ctx.rt.slot,
            tid: self.ctx.thread.tid,
        };
        if from != crate::runtime::thread::ENDED {
            self.parked.insert(from, out);
        }
        let next = self.parked.remove(&to).unwrap_or_default();
        self.stack = next.stack;
        self.base = next.base;
        self.depth = next.depth;
        self.ret = next.ret;
        self.ctx.rt.slot = next.slot;
        self.ctx.thread = crate::runtime::thread::ThreadIdent { index: to, tid: next.tid };
    }

    fn forget_threads(&mut self) {
        self.parked.clear();
    }

    fn run_initializer(&mut self, f: &Value, args: Vec<Value>) -> Result<(), Box<ErrorObj>> {
        // What each global was, deeply (a list changed in place counts).
        let before: Vec<Option<Fingerprint>> = self.globals.iter().map(|g| g.as_ref().map(fingerprint)).collect();
        Interp::call_function(self, f, args, Span::default())?;
        for (slot, now) in self.globals.iter().enumerate() {
            let changed = match (before.get(slot).cloned().flatten(), now) {
                (None, None) => false,
                (Some(was), Some(v)) => was != fingerprint(v),
                _ => true,
            };
            if let (true, Some(name)) = (changed, self.global_names.name_of(slot as u32)) {
                self.ctx.rt.own_globals.push(name.clone());
            }
        }
        Ok(())
    }
}

/// A global's value as comparable bytes (data, or the text of what is not
/// data), or a function's identity.
#[derive(Clone, PartialEq, Eq)]
enum Fingerprint {
    Data(Vec<u8>),
    Identity(usize),
}

fn fingerprint(v: &Value) -> Fingerprint {
    match v {
        Value::Func(c) => Fingerprint::Identity(Rc::as_ptr(c) as usize),
        Value::Native(n) => Fingerprint::Identity(Rc::as_ptr(n) as usize),
        other => match crate::value::wire::encode_data(other) {
            Ok(bytes) => Fingerprint::Data(bytes),
            Err(_) => Fingerprint::Data(crate::value::repr(other).into_bytes()),
        },
    }
}

impl FnCodec for Interp {
    fn source(&self, src: SourceId) -> Option<&Source> {
        self.sources.get(src)
    }

    fn captures(&self, c: &Closure) -> Vec<(Name, Value)> {
        let mut out = Vec::new();
        for (name, place) in free_vars(&c.def) {
            let value = match place {
                Captured::Outer { depth: up, slot } => {
                    let mut frame = c.env.as_ref();
                    for _ in 0..up {
                        frame = frame.and_then(|f| f.parent.as_ref());
                    }
                    match frame.and_then(|f| f.slots.borrow().get(slot as usize).cloned()) {
                        Some(v) => v,
                        None => continue,
                    }
                }
                Captured::Global(slot) => match self.globals.get(slot as usize) {
                    // A builtin under its own name: the receiver has it too.
                    Some(Some(Value::Native(n))) if *n.name == *name => continue,
                    Some(Some(v)) => v.clone(),
                    // Not defined yet: the receiver's global of that name.
                    _ => continue,
                },
            };
            out.push((name, value));
        }
        out
    }

    /// The code of a function another process sent (`value::wire`): its
    /// text, parsed as written at `origin:line:col` (so diagnostics point
    /// at the right line), resolved with `captured` bound in one enclosing
    /// frame and every other name a global of this process.
    fn compile_received(
        &mut self,
        origin: &str,
        line: u32,
        col: u32,
        text: &str,
        captured: &[Name],
    ) -> Result<Rc<FnDef>, Box<ErrorObj>> {
        let key = format!("{origin}\0{line}\0{col}\0{text}\0{}", captured.join("\0"));
        if let Some(def) = self.received.get(&key) {
            return Ok(def.clone());
        }
        // Pad so that positions inside the text are those of the original.
        let padded = format!(
            "{}{}{text}",
            "\n".repeat(line.saturating_sub(1) as usize),
            " ".repeat(col.saturating_sub(1) as usize)
        );
        let src = self.sources.add(origin, padded.as_str());
        let program = crate::syntax::parse_program(&padded, src).map_err(syntax_error)?;
        let mut def = match program.stmts.into_iter().next().map(|s| s.kind) {
            Some(StmtKind::FnDecl { def, .. }) => def,
            Some(StmtKind::Expr(e)) => match e.kind {
                ExprKind::Fn(def) => def,
                _ => return Err(ErrorObj::new(ErrorKind::ValueError, "received function text is not a function")),
            },
            _ => return Err(ErrorObj::new(ErrorKind::ValueError, "received function text is not a function")),
        };
        Resolver::with_captures(&mut self.global_names, captured).resolve_fn(&mut def).map_err(syntax_error)?;
        if self.globals.len() < self.global_names.len() {
            self.globals.resize(self.global_names.len(), None);
        }
        self.received.insert(key, def.clone());
        Ok(def)
    }

    fn builtin(&self, name: &str) -> Option<Value> {
        let slot = self.global_names.lookup(name)?;
        self.globals.get(slot as usize)?.clone()
    }

    fn own_global(&self, name: &str) -> bool {
        self.rt.own_globals.iter().any(|n| &**n == name)
    }

    fn child(&self, pid: i32) -> Option<Rc<ProcessHandle>> {
        self.rt.children.iter().find(|c| c.pid == pid).and_then(|c| c.handle.clone())
    }
}
