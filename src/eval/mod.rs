//! The interpreter: walks the resolved AST. The only place where syntax and
//! runtime meet — expressions in `expr.rs`, statements in `stmt.rs`, calls in
//! `call.rs`; primitives are dispatched to `runtime/`, builtins to `builtins/`.

mod call;
pub use call::exit_error;
pub use expr::list_index;
mod expr;
mod stmt;

use crate::diagnostics::{syntax_error, ErrorKind, ErrorObj, Flow, ProcessLabel};
use crate::resolve::{GlobalTable, Resolver};
use crate::syntax::ast::{ExprKind, FnDef, Name, Program, StmtKind};
use crate::syntax::span::{SourceId, SourceMap};
use crate::value::{Frame, Native, NativeFn, Value};
use std::rc::Rc;

/// How deep mpscript calls may nest before `RecursionError`.
pub const MAX_CALL_DEPTH: usize = 2_000;

/// One process's interpreter state. A forked child continues with its copy.
pub struct Interp {
    pub globals: Vec<Option<Value>>,
    pub global_names: GlobalTable,
    pub sources: SourceMap,
    pub rng: fastrand::Rng,
    /// `--seed`, kept so children can derive their own reproducible streams.
    pub seed: Option<u64>,
    /// `args`: the command-line arguments after the script's name.
    pub script_args: Vec<String>,
    pub process: ProcessLabel,
    /// Children, the process-table slot and options of this process.
    pub rt: crate::runtime::Runtime,
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
            sources: SourceMap::default(),
            rng: fastrand::Rng::new(),
            seed: None,
            script_args: Vec::new(),
            process: ProcessLabel { name: "MainProcess".into(), pid: std::process::id() as i32 },
            rt: crate::runtime::Runtime::default(),
            depth: 0,
            ret: Value::Nil,
            stack: Vec::new(),
            base: 0,
            root: Rc::new(Frame::default()),
            received: Default::default(),
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

    /// The code of a function another process sent (`value::wire`): its
    /// text, parsed as written at `origin:line:col` (so diagnostics point
    /// at the right line), resolved with `captured` bound in one enclosing
    /// frame and every other name a global of this process.
    pub fn compile_received(
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

    /// Stamp an error with the process that raised it.
    pub fn own(&self, mut e: Box<ErrorObj>) -> Box<ErrorObj> {
        if e.process.is_none() {
            e.process = Some(self.process.clone());
        }
        e
    }

    /// The text of an error as the user sees it.
    pub fn render_error(&self, e: &ErrorObj) -> String {
        crate::diagnostics::render(e, &self.sources)
    }
}
