//! Names → slots. Walks the AST once after parsing and decides, for every
//! variable, whether it is a local of the current function, a local of an
//! enclosing function (a closure capture), or a global. Also the static
//! checks `mpscript check` reports: `break` outside a loop, `return` outside
//! a function, and (for whole programs) names that are never defined.

use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::syntax::ast::*;
use crate::syntax::span::Span;
use crate::syntax::SyntaxError;
use rustc_hash::FxHashMap;
use std::rc::Rc;

/// The program-wide global names. Persistent across REPL entries, so a
/// function defined at one prompt is visible at the next.
#[derive(Debug, Default)]
pub struct GlobalTable {
    names: FxHashMap<Name, u32>,
    /// Names in slot order (anonymous block-scoped slots are `None`).
    slots: Vec<Option<Name>>,
    /// Whether a top-level declaration of the name has been seen.
    declared: Vec<bool>,
}

impl GlobalTable {
    /// The names a top-level declaration (or a builtin) has defined.
    pub fn defined_names(&self) -> Vec<&str> {
        self.slots.iter().zip(&self.declared).filter(|(_, d)| **d).filter_map(|(n, _)| n.as_deref()).collect()
    }

    /// The name of every slot, `None` for anonymous ones.
    pub fn slot_names(&self) -> &[Option<Name>] {
        &self.slots
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn lookup(&self, name: &str) -> Option<u32> {
        self.names.get(name).copied()
    }

    /// The slot of a global name, created (undefined) on first mention.
    pub fn slot(&mut self, name: &Name) -> u32 {
        if let Some(&s) = self.names.get(name) {
            return s;
        }
        let s = self.slots.len() as u32;
        self.names.insert(name.clone(), s);
        self.slots.push(Some(name.clone()));
        self.declared.push(false);
        s
    }

    pub fn declare(&mut self, name: &Name) -> u32 {
        let s = self.slot(name);
        self.declared[s as usize] = true;
        s
    }

    fn anonymous(&mut self) -> u32 {
        self.slots.push(None);
        self.declared.push(true);
        self.slots.len() as u32 - 1
    }

    pub fn name_of(&self, slot: u32) -> Option<&Name> {
        self.slots.get(slot as usize).and_then(|n| n.as_ref())
    }
}

#[derive(Default)]
struct FnScope {
    blocks: Vec<FxHashMap<Name, u32>>,
    next: u32,
    /// Locals become `Slot::Stack` (see `FnDef::on_stack`).
    on_stack: bool,
}

pub struct Resolver<'g> {
    globals: &'g mut GlobalTable,
    fns: Vec<FnScope>,
    /// Block scopes nested inside top-level code; their names get anonymous
    /// global slots.
    top_blocks: Vec<FxHashMap<Name, u32>>,
    loops: Vec<usize>,
    /// Global references, for the undefined-name check.
    global_refs: Vec<(u32, Span)>,
    errors: Vec<SyntaxError>,
}

/// The help of a `NameError`: the mpscript word for a Python name
/// (`None`, `Process`, `Queue`…), else the closest defined name (`prnt` →
/// `print`), else how to declare it.
pub fn undefined_help(name: &str, known: &[&str]) -> String {
    let python = match name {
        "None" => "mpscript writes it `nil`",
        "True" => "mpscript writes it `true`",
        "False" => "mpscript writes it `false`",
        "Process" => {
            "start a process with `spawn f(1, 2)` (no Process object, no start(): it runs at once; `p.join()` waits)"
        }
        "Queue" | "JoinableQueue" | "SimpleQueue" => {
            "write `queue q` or `let q = queue()` (`queue(10)` for a bounded one; every queue is joinable)"
        }
        "Lock" | "RLock" => "write `lock l` or `let l = lock()`; hold it for a block with `lock l { … }`",
        "Semaphore" | "BoundedSemaphore" => {
            "write `sem s = 4` or `let s = sem(4)`; hold it for a block with `sem s { … }`"
        }
        "Event" => "write `event e` or `let e = event()`",
        "Pipe" => "write `pipe a, b` (duplex) or `pipe w -> r` (one way)",
        "Pool" => "write `pool p = 4` or `let p = pool(4)`",
        "Value" | "Array" | "Manager" => {
            "share data with `shared n = 0` (read and write `n.value`), `shared xs = [0, 0]` or `shared d = {}`"
        }
        "pass" => "an empty block `{ }` needs no `pass`: delete it",
        "self" => "mpscript has no classes: use a dict for data and functions for behaviour",
        "os" | "time" | "sys" | "random" | "multiprocessing" | "threading" | "subprocess" | "signal" | "json" => {
            "mpscript has no modules: their functions are builtins (`sleep`, `getpid`, `run`, `rand_int`, \
             `json_parse`…); `mpscript help` lists them"
        }
        "list" | "tuple" => "write a list literal `[a, b]`; to copy a list: `xs.copy()`",
        "dict" => "write a dict literal `{\"key\": value}`; to copy one: `d.copy()`",
        "__name__" => "not needed: a script's top-level code runs only in the main program",
        _ => "",
    };
    if !python.is_empty() {
        return python.to_string();
    }
    let limit = if name.chars().count() <= 4 { 1 } else { 2 };
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        let d = edit_distance(name, k);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    match best {
        Some((_, k)) => format!("did you mean `{k}`? (or declare it first with `let {name} = …`)"),
        None => format!("declare it first with `let {name} = …`"),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl<'g> Resolver<'g> {
    pub fn new(globals: &'g mut GlobalTable) -> Self {
        Resolver { globals, fns: vec![], top_blocks: vec![], loops: vec![0], global_refs: vec![], errors: vec![] }
    }

    /// A resolver for a function received from another process: `captured`
    /// are the names it uses from outside, bound (in this order) to the
    /// slots of one enclosing frame; every other name is a global here.
    pub fn with_captures(globals: &'g mut GlobalTable, captured: &[Name]) -> Self {
        let mut r = Resolver::new(globals);
        let mut scope = FnScope { blocks: vec![FxHashMap::default()], next: 0, on_stack: false };
        for name in captured {
            scope.blocks[0].entry(name.clone()).or_insert(scope.next);
            scope.next += 1;
        }
        r.fns.push(scope);
        r
    }

    /// Resolve one function (see `with_captures`).
    pub fn resolve_fn(mut self, def: &mut Rc<FnDef>) -> Result<(), SyntaxError> {
        self.function(def);
        match self.errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Resolve a program in place. Returns the first static error.
    pub fn resolve(mut self, program: &mut Program) -> Result<(), SyntaxError> {
        for s in &mut program.stmts {
            self.stmt(s);
        }
        match self.errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Like `resolve`, then also report any global that is used but never
    /// defined (by the program or a builtin) as a `NameError`: the check of
    /// `mpscript check`.
    pub fn check(mut self, program: &mut Program) -> Result<(), Box<ErrorObj>> {
        for s in &mut program.stmts {
            self.stmt(s);
        }
        if let Some(e) = self.errors.into_iter().next() {
            return Err(crate::diagnostics::syntax_error(e));
        }
        for (slot, span) in &self.global_refs {
            if !self.globals.declared[*slot as usize] {
                let name = self.globals.name_of(*slot).map(|n| n.to_string()).unwrap_or_default();
                let known = self.globals.defined_names();
                let e = ErrorObj::new(ErrorKind::NameError, format!("name `{name}` is not defined"))
                    .with_help(undefined_help(&name, &known))
                    .at(*span);
                return Err(e);
            }
        }
        Ok(())
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(SyntaxError::new(span, message));
    }

    fn push_block(&mut self) {
        match self.fns.last_mut() {
            Some(f) => f.blocks.push(FxHashMap::default()),
            None => self.top_blocks.push(FxHashMap::default()),
        }
    }

    fn pop_block(&mut self) {
        match self.fns.last_mut() {
            Some(f) => {
                f.blocks.pop();
            }
            None => {
                self.top_blocks.pop();
            }
        }
    }

    fn declare(&mut self, var: &mut Var) {
        var.slot = match self.fns.last_mut() {
            Some(f) => {
                let scope = f.blocks.last_mut().expect("a function has a block scope");
                let slot = match scope.get(&var.name) {
                    Some(&s) => s,
                    None => {
                        let s = f.next;
                        f.next += 1;
                        scope.insert(var.name.clone(), s);
                        s
                    }
                };
                if f.on_stack {
                    Slot::Stack(slot)
                } else {
                    Slot::Local(slot)
                }
            }
            None => match self.top_blocks.last() {
                None => Slot::Global(self.globals.declare(&var.name)),
                Some(scope) => {
                    let slot = match scope.get(&var.name) {
                        Some(&s) => s,
                        None => {
                            let s = self.globals.anonymous();
                            self.top_blocks.last_mut().expect("checked above").insert(var.name.clone(), s);
                            s
                        }
                    };
                    Slot::Global(slot)
                }
            },
        };
    }

    fn lookup(&mut self, var: &mut Var) {
        for (depth, f) in self.fns.iter().rev().enumerate() {
            for scope in f.blocks.iter().rev() {
                if let Some(&slot) = scope.get(&var.name) {
                    // A function with stack locals has no heap frame of its
                    // own: its closure env is already the enclosing frame.
                    let own_frame = !self.fns.last().is_some_and(|f| f.on_stack);
                    var.slot = match depth {
                        0 if f.on_stack => Slot::Stack(slot),
                        0 => Slot::Local(slot),
                        _ => Slot::Outer { depth: depth as u32 - u32::from(!own_frame), slot },
                    };
                    return;
                }
            }
        }
        for scope in self.top_blocks.iter().rev() {
            if let Some(&slot) = scope.get(&var.name) {
                var.slot = Slot::Global(slot);
                return;
            }
        }
        let slot = self.globals.slot(&var.name);
        self.global_refs.push((slot, var.span));
        var.slot = Slot::Global(slot);
    }

    fn block(&mut self, b: &mut Block) {
        self.push_block();
        for s in &mut b.stmts {
            self.stmt(s);
        }
        self.pop_block();
    }

    fn loop_body(&mut self, b: &mut Block) {
        *self.loops.last_mut().expect("loop stack") += 1;
        self.block(b);
        *self.loops.last_mut().expect("loop stack") -= 1;
    }

    fn function(&mut self, def: &mut Rc<FnDef>) {
        let Some(def) = Rc::get_mut(def) else { return };
        let on_stack = !closures::in_block(&def.body)
            && !def.params.iter().any(|p| p.default.as_ref().is_some_and(closures::in_expr));
        def.on_stack = on_stack;
        self.fns.push(FnScope { blocks: vec![FxHashMap::default()], next: 0, on_stack });
        self.loops.push(0);
        // Parameters take slots 0..n in order: calls fill them positionally.
        for p in &mut def.params {
            self.declare(&mut p.var);
        }
        // Defaults are evaluated at call time, in the new frame.
        for p in &mut def.params {
            if let Some(d) = &mut p.default {
                self.expr(d);
            }
        }
        for s in &mut def.body.stmts {
            self.stmt(s);
        }
        self.loops.pop();
        let scope = self.fns.pop().expect("pushed above");
        def.frame_size = scope.next;
    }

    fn stmt(&mut self, s: &mut Stmt) {
        match &mut s.kind {
            StmtKind::Let { names, value } => {
                self.expr(value);
                for n in names {
                    self.declare(n);
                }
            }
            StmtKind::Assign { target, value, .. } => {
                self.expr(value);
                self.target(target);
            }
            StmtKind::Expr(e) | StmtKind::Throw(e) => self.expr(e),
            StmtKind::FnDecl { name, def } => {
                self.declare(name);
                self.function(def);
            }
            StmtKind::If { branches, otherwise } => {
                for (c, b) in branches {
                    self.expr(c);
                    self.block(b);
                }
                if let Some(b) = otherwise {
                    self.block(b);
                }
            }
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.loop_body(body);
            }
            StmtKind::For { vars, iter, body } => {
                self.expr(iter);
                *self.loops.last_mut().expect("loop stack") += 1;
                self.push_block();
                for v in vars {
                    self.declare(v);
                }
                for s in &mut body.stmts {
                    self.stmt(s);
                }
                self.pop_block();
                *self.loops.last_mut().expect("loop stack") -= 1;
            }
            StmtKind::Break | StmtKind::Continue => {
                if self.loops.last().copied().unwrap_or(0) == 0 {
                    let word = if matches!(s.kind, StmtKind::Break) { "break" } else { "continue" };
                    self.error(s.span, format!("`{word}` outside a loop"));
                }
            }
            StmtKind::Return(e) => {
                if self.fns.is_empty() {
                    self.error(s.span, "`return` outside a function");
                }
                if let Some(e) = e {
                    self.expr(e);
                }
            }
            StmtKind::Try { body, catch, finally } => {
                self.block(body);
                if let Some((var, b)) = catch {
                    self.push_block();
                    if let Some(v) = var {
                        self.declare(v);
                    }
                    for s in &mut b.stmts {
                        self.stmt(s);
                    }
                    self.pop_block();
                }
                if let Some(b) = finally {
                    self.block(b);
                }
            }
            StmtKind::Guard { target, body, .. } => {
                self.expr(target);
                self.block(body);
            }
        }
    }

    fn target(&mut self, t: &mut Target) {
        match t {
            Target::Var(v) => self.lookup(v),
            Target::Index { obj, index } => {
                self.expr(obj);
                self.expr(index);
            }
            Target::Field { obj, .. } => self.expr(obj),
            Target::Unpack(ts) => ts.iter_mut().for_each(|t| self.target(t)),
        }
    }

    fn args(&mut self, args: &mut [Arg]) {
        for a in args {
            self.expr(&mut a.value);
        }
    }

    fn expr(&mut self, e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Nil
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bytes(_) => {}
            ExprKind::Interp(parts) => {
                for p in parts {
                    if let StrPart::Expr(e, _) = p {
                        self.expr(e);
                    }
                }
            }
            ExprKind::Var(v) => self.lookup(v),
            ExprKind::List(items) => items.iter_mut().for_each(|i| self.expr(i)),
            ExprKind::Dict(pairs) => {
                for (k, v) in pairs {
                    self.expr(k);
                    self.expr(v);
                }
            }
            ExprKind::Range { start, end, .. } => {
                self.expr(start);
                self.expr(end);
            }
            ExprKind::Neg(x) | ExprKind::Not(x) => self.expr(x),
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Chain { first, rest } => {
                self.expr(first);
                rest.iter_mut().for_each(|(_, x)| self.expr(x));
            }
            ExprKind::Logic { items, .. } => items.iter_mut().for_each(|x| self.expr(x)),
            ExprKind::Slice { obj, start, end, step } => {
                self.expr(obj);
                for x in [start, end, step].into_iter().flatten() {
                    self.expr(x);
                }
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Call { callee, args } => {
                self.expr(callee);
                self.args(args);
            }
            ExprKind::Method { recv, args, .. } => {
                self.expr(recv);
                self.args(args);
            }
            ExprKind::Index { obj, index } => {
                self.expr(obj);
                self.expr(index);
            }
            ExprKind::Field { obj, .. } => self.expr(obj),
            ExprKind::Fn(def) => self.function(def),
            ExprKind::Spawn { body, .. } => match body {
                SpawnBody::Call(call) => self.expr(call),
                SpawnBody::Block(def) => self.function(def),
            },
        }
    }
}

/// Whether code creates a closure (a `fn` literal or declaration, or a
/// `spawn { }` block): such a function's locals must live in a heap frame
/// the closure can keep.
mod closures {
    use crate::syntax::ast::*;

    pub fn in_block(b: &Block) -> bool {
        b.stmts.iter().any(in_stmt)
    }

    fn in_stmt(s: &Stmt) -> bool {
        match &s.kind {
            StmtKind::FnDecl { .. } => true,
            StmtKind::Let { value, .. } => in_expr(value),
            StmtKind::Assign { target, value, .. } => in_expr(value) || in_target(target),
            StmtKind::Expr(e) | StmtKind::Throw(e) => in_expr(e),
            StmtKind::Return(e) => e.as_ref().is_some_and(in_expr),
            StmtKind::If { branches, otherwise } => {
                branches.iter().any(|(c, b)| in_expr(c) || in_block(b)) || otherwise.as_ref().is_some_and(in_block)
            }
            StmtKind::While { cond, body } => in_expr(cond) || in_block(body),
            StmtKind::For { iter, body, .. } => in_expr(iter) || in_block(body),
            StmtKind::Try { body, catch, finally } => {
                in_block(body)
                    || catch.as_ref().is_some_and(|(_, b)| in_block(b))
                    || finally.as_ref().is_some_and(in_block)
            }
            StmtKind::Guard { target, body, .. } => in_expr(target) || in_block(body),
            StmtKind::Break | StmtKind::Continue => false,
        }
    }

    fn in_target(t: &Target) -> bool {
        match t {
            Target::Var(_) => false,
            Target::Index { obj, index } => in_expr(obj) || in_expr(index),
            Target::Field { obj, .. } => in_expr(obj),
            Target::Unpack(ts) => ts.iter().any(in_target),
        }
    }

    fn in_args(args: &[Arg]) -> bool {
        args.iter().any(|a| in_expr(&a.value))
    }

    pub fn in_expr(e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Fn(_) => true,
            ExprKind::Spawn { body: SpawnBody::Block(_), .. } => true,
            ExprKind::Spawn { body: SpawnBody::Call(call), .. } => in_expr(call),
            ExprKind::Nil
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bytes(_) => false,
            ExprKind::Var(_) => false,
            ExprKind::Interp(parts) => parts.iter().any(|p| matches!(p, StrPart::Expr(x, _) if in_expr(x))),
            ExprKind::List(items) => items.iter().any(in_expr),
            ExprKind::Dict(pairs) => pairs.iter().any(|(k, v)| in_expr(k) || in_expr(v)),
            ExprKind::Range { start, end, .. } => in_expr(start) || in_expr(end),
            ExprKind::Neg(x) | ExprKind::Not(x) => in_expr(x),
            ExprKind::And(a, b) | ExprKind::Or(a, b) => in_expr(a) || in_expr(b),
            ExprKind::Binary { lhs, rhs, .. } => in_expr(lhs) || in_expr(rhs),
            ExprKind::Chain { first, rest } => in_expr(first) || rest.iter().any(|(_, x)| in_expr(x)),
            ExprKind::Logic { items, .. } => items.iter().any(in_expr),
            ExprKind::Slice { obj, start, end, step } => {
                in_expr(obj) || [start, end, step].into_iter().flatten().any(|x| in_expr(x))
            }
            ExprKind::Call { callee, args } => in_expr(callee) || in_args(args),
            ExprKind::Method { recv, args, .. } => in_expr(recv) || in_args(args),
            ExprKind::Index { obj, index } => in_expr(obj) || in_expr(index),
            ExprKind::Field { obj, .. } => in_expr(obj),
        }
    }
}

/// Where a function's free variable lives in the process that made it.
#[derive(Clone, Debug)]
pub enum Captured {
    /// A slot of an enclosing function's frame: `depth` frames above the
    /// closure's own environment (0: the environment itself).
    Outer { depth: u32, slot: u32 },
    /// A program-wide global (named or a top-level block's anonymous slot).
    Global(u32),
}

/// The free variables of a function (each name once, first use first): what
/// it needs besides its parameters and locals when sent to another process.
pub fn free_vars(def: &FnDef) -> Vec<(Name, Captured)> {
    let mut out = FreeVars { found: Vec::new(), on_stack: Vec::new() };
    out.function(def, 0);
    out.found
}

struct FreeVars {
    found: Vec<(Name, Captured)>,
    /// `on_stack` of the functions being walked, innermost last.
    on_stack: Vec<bool>,
}

impl FreeVars {
    fn var(&mut self, v: &Var, nesting: u32) {
        // Frames above the using function's own: a function with stack
        // locals has no frame of its own, so its `Outer` depths are one less.
        let own = u32::from(self.on_stack.last().copied().unwrap_or(false));
        let place = match v.slot {
            Slot::Outer { depth, slot } if depth + own > nesting => {
                Captured::Outer { depth: depth + own - nesting - 1, slot }
            }
            Slot::Global(slot) => Captured::Global(slot),
            _ => return,
        };
        if !self.found.iter().any(|(n, _)| *n == v.name) {
            self.found.push((v.name.clone(), place));
        }
    }

    fn function(&mut self, def: &FnDef, nesting: u32) {
        self.on_stack.push(def.on_stack);
        for p in &def.params {
            if let Some(d) = &p.default {
                self.expr(d, nesting);
            }
        }
        self.block(&def.body, nesting);
        self.on_stack.pop();
    }

    fn block(&mut self, b: &Block, n: u32) {
        for s in &b.stmts {
            self.stmt(s, n);
        }
    }

    fn stmt(&mut self, s: &Stmt, n: u32) {
        match &s.kind {
            StmtKind::Let { value, .. } => self.expr(value, n),
            StmtKind::Assign { target, value, .. } => {
                self.expr(value, n);
                self.target(target, n);
            }
            StmtKind::Expr(e) | StmtKind::Throw(e) | StmtKind::Return(Some(e)) => self.expr(e, n),
            StmtKind::FnDecl { def, .. } => self.function(def, n + 1),
            StmtKind::If { branches, otherwise } => {
                for (c, b) in branches {
                    self.expr(c, n);
                    self.block(b, n);
                }
                if let Some(b) = otherwise {
                    self.block(b, n);
                }
            }
            StmtKind::While { cond: e, body } | StmtKind::For { iter: e, body, .. } => {
                self.expr(e, n);
                self.block(body, n);
            }
            StmtKind::Try { body, catch, finally } => {
                self.block(body, n);
                if let Some((_, b)) = catch {
                    self.block(b, n);
                }
                if let Some(b) = finally {
                    self.block(b, n);
                }
            }
            StmtKind::Guard { target, body, .. } => {
                self.expr(target, n);
                self.block(body, n);
            }
            StmtKind::Break | StmtKind::Continue | StmtKind::Return(None) => {}
        }
    }

    fn target(&mut self, t: &Target, n: u32) {
        match t {
            Target::Var(v) => self.var(v, n),
            Target::Index { obj, index } => {
                self.expr(obj, n);
                self.expr(index, n);
            }
            Target::Field { obj, .. } => self.expr(obj, n),
            Target::Unpack(ts) => ts.iter().for_each(|t| self.target(t, n)),
        }
    }

    fn expr(&mut self, e: &Expr, n: u32) {
        match &e.kind {
            ExprKind::Nil
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bytes(_) => {}
            ExprKind::Interp(parts) => {
                for p in parts {
                    if let StrPart::Expr(x, _) = p {
                        self.expr(x, n);
                    }
                }
            }
            ExprKind::Var(v) => self.var(v, n),
            ExprKind::List(items) => items.iter().for_each(|i| self.expr(i, n)),
            ExprKind::Dict(pairs) => {
                for (k, v) in pairs {
                    self.expr(k, n);
                    self.expr(v, n);
                }
            }
            ExprKind::Range { start: a, end: b, .. }
            | ExprKind::And(a, b)
            | ExprKind::Or(a, b)
            | ExprKind::Binary { lhs: a, rhs: b, .. }
            | ExprKind::Index { obj: a, index: b } => {
                self.expr(a, n);
                self.expr(b, n);
            }
            ExprKind::Neg(x) | ExprKind::Not(x) | ExprKind::Field { obj: x, .. } => self.expr(x, n),
            ExprKind::Chain { first, rest } => {
                self.expr(first, n);
                rest.iter().for_each(|(_, x)| self.expr(x, n));
            }
            ExprKind::Logic { items, .. } => items.iter().for_each(|x| self.expr(x, n)),
            ExprKind::Slice { obj, start, end, step } => {
                self.expr(obj, n);
                for x in [start, end, step].into_iter().flatten() {
                    self.expr(x, n);
                }
            }
            ExprKind::Call { callee: x, args } | ExprKind::Method { recv: x, args, .. } => {
                self.expr(x, n);
                args.iter().for_each(|a| self.expr(&a.value, n));
            }
            ExprKind::Fn(def) => self.function(def, n + 1),
            ExprKind::Spawn { body, .. } => match body {
                SpawnBody::Call(call) => self.expr(call, n),
                SpawnBody::Block(def) => self.function(def, n + 1),
            },
        }
    }
}
