//! Calls: user functions (frames, positional/keyword/default arguments),
//! native functions, and methods.

use super::expr::At;
use super::{Interp, MAX_CALL_DEPTH};
use crate::diagnostics::{ErrorKind, ErrorObj, Flow};
use crate::syntax::ast::{Arg, Expr, ExprKind, FnDef, MemberName, Slot, SpawnBody, Var};
use crate::syntax::span::Span;
use crate::value::{type_name, Args, Closure, Frame, NativeFn, Slots, Str, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// Where a call's locals live.
enum Locals {
    Heap(Rc<Frame>),
    /// On `Interp::stack`, from this base.
    Stack(usize),
}

/// Keyword arguments of a call, in the order given.
type KwArgs = Vec<(Str, Value)>;

impl Interp {
    #[inline(never)]
    pub(crate) fn eval_call(
        &mut self,
        callee: &Expr,
        args: &[Arg],
        span: Span,
        env: &Rc<Frame>,
    ) -> Result<Value, Flow> {
        // A named function (a global) is read in place.
        let f = match &callee.kind {
            ExprKind::Var(Var { slot: Slot::Global(s), .. }) => match &self.globals[*s as usize] {
                Some(f) => f.clone(),
                None => self.operand(callee, env)?,
            },
            _ => self.operand(callee, env)?,
        };
        let c = match f {
            Value::Func(c) if args.len() == c.def.params.len() && args.iter().all(|a| a.name.is_none()) => c,
            f => {
                let (pos, kw) = self.eval_args(args, env)?;
                return self.call_value(&f, pos, kw, span);
            }
        };
        // Fast path: every parameter given positionally, evaluated straight
        // into the new locals (no argument list, no moves).
        if c.def.on_stack {
            let base = self.stack.len();
            for a in args {
                match self.argument(&a.value, env) {
                    Ok(v) => self.stack.push(v),
                    Err(e) => {
                        self.pop_locals(base);
                        return Err(e);
                    }
                }
            }
            let top = base + c.def.frame_size as usize;
            if self.stack.len() < top {
                self.stack.resize(top, Value::Nil);
            }
            return self.enter(&c, Locals::Stack(base), span);
        }
        let frame = Rc::new(Frame { slots: RefCell::new(Slots::new()), parent: c.env.clone() });
        for a in args {
            let v = self.operand(&a.value, env)?;
            frame.slots.borrow_mut().push(v);
        }
        frame.slots.borrow_mut().resize(c.def.frame_size as usize, Value::Nil);
        self.enter(&c, Locals::Heap(frame), span)
    }

    /// Drop the locals of a call from the value stack.
    #[inline]
    fn pop_locals(&mut self, base: usize) {
        while self.stack.len() > base {
            if let Some(v) = self.stack.pop() {
                v.discard();
            }
        }
    }

    #[inline]
    fn eval_args(&mut self, args: &[Arg], env: &Rc<Frame>) -> Result<(Vec<Value>, KwArgs), Flow> {
        if args.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut pos = Vec::with_capacity(args.len());
        let mut kw = Vec::new();
        for a in args {
            let v = self.eval(&a.value, env)?;
            match &a.name {
                Some(n) => kw.push((n.name.clone(), v)),
                None => pos.push(v),
            }
        }
        Ok((pos, kw))
    }

    /// Call any callable value.
    pub fn call_value(&mut self, f: &Value, pos: Vec<Value>, kw: Vec<(Str, Value)>, span: Span) -> Result<Value, Flow> {
        match f {
            Value::Func(c) => self.call_closure(c, Slots::from_vec(pos), kw, span),
            Value::Native(n) => {
                let mut args = Args { pos, kw, span, name: n.name.clone(), owner: "" };
                match &n.call {
                    NativeFn::Builtin(b) => b(self, &mut args).map_err(|e| match e.exit {
                        Some(code) => Flow::Exit(code),
                        None => Flow::Error(e.at(span)),
                    }),
                    NativeFn::Host(h) => {
                        if !args.kw.is_empty() {
                            let e =
                                ErrorObj::new(ErrorKind::TypeError, format!("{}() takes no keyword arguments", n.name));
                            return Err(Flow::Error(e.at(span)));
                        }
                        h(&args.pos).map_err(|m| Flow::Error(ErrorObj::new(ErrorKind::user("Error"), m).at(span)))
                    }
                }
            }
            other => {
                let e = ErrorObj::new(ErrorKind::TypeError, format!("{} is not callable", type_name(other)));
                Err(Flow::Error(e.at(span)))
            }
        }
    }

    /// Call a function value with already-evaluated arguments, turning
    /// `return` into a value. Used by builtins that take callbacks.
    pub fn call_function(&mut self, f: &Value, pos: Vec<Value>, span: Span) -> Result<Value, Box<ErrorObj>> {
        match self.call_value(f, pos, Vec::new(), span) {
            Ok(v) => Ok(v),
            Err(Flow::Error(e)) => Err(e),
            Err(Flow::Exit(code)) => Err(exit_error(code)),
            Err(_) => Ok(Value::Nil),
        }
    }

    pub(crate) fn call_closure(
        &mut self,
        c: &Rc<Closure>,
        mut slots: Slots,
        kw: Vec<(Str, Value)>,
        span: Span,
    ) -> Result<Value, Flow> {
        let def = &c.def;
        let nparams = def.params.len();
        let name = || def.name.clone().unwrap_or_else(|| "<fn>".into());
        if slots.len() > nparams {
            let e = ErrorObj::new(
                ErrorKind::TypeError,
                format!("{}() takes {} argument{} but {} were given", name(), nparams, plural(nparams), slots.len()),
            );
            return Err(Flow::Error(e.at(span)));
        }
        let given = slots.len();
        slots.resize(def.frame_size as usize, Value::Nil);
        if kw.is_empty() && given == nparams {
            return self.enter_with(c, slots, span);
        }
        // Which parameters have a value; a call has at most a few dozen.
        let mut set: Vec<bool> = (0..nparams).map(|i| i < given).collect();
        for (k, v) in kw {
            match def.params.iter().position(|p| p.var.name == k) {
                Some(i) if set[i] => {
                    let e =
                        ErrorObj::new(ErrorKind::TypeError, format!("{}() got two values for argument `{k}`", name()));
                    return Err(Flow::Error(e.at(span)));
                }
                Some(i) => {
                    slots[i] = v;
                    set[i] = true;
                }
                None => {
                    let e = ErrorObj::new(ErrorKind::TypeError, format!("{}() has no parameter `{k}`", name()));
                    return Err(Flow::Error(e.at(span)));
                }
            }
        }
        if let Some(p) = def.params.iter().enumerate().find(|(i, p)| !set[*i] && p.default.is_none()).map(|(_, p)| p) {
            let e = ErrorObj::new(ErrorKind::TypeError, format!("{}() is missing argument `{}`", name(), p.var.name));
            return Err(Flow::Error(e.at(span)));
        }
        // Defaults are evaluated at call time, among the new locals (so a
        // default can use an earlier parameter).
        let missing: Vec<usize> = (0..nparams).filter(|&i| !set[i]).collect();
        if def.on_stack {
            let base = self.stack.len();
            self.stack.extend(slots);
            let saved = std::mem::replace(&mut self.base, base);
            let env = c.env.clone().unwrap_or_else(|| self.root.clone());
            for i in missing {
                let Some(d) = &def.params[i].default else { continue };
                match self.eval(d, &env) {
                    Ok(v) => self.stack[base + i] = v,
                    Err(e) => {
                        self.base = saved;
                        self.stack.truncate(base);
                        return Err(e);
                    }
                }
            }
            self.base = saved;
            return self.enter(c, Locals::Stack(base), span);
        }
        let frame = Rc::new(Frame { slots: RefCell::new(slots), parent: c.env.clone() });
        for i in missing {
            let Some(d) = &def.params[i].default else { continue };
            let v = self.eval(d, &frame)?;
            frame.slots.borrow_mut()[i] = v;
        }
        self.enter(c, Locals::Heap(frame), span)
    }

    /// Enter a function whose locals (arguments, then `Nil`s) are ready.
    fn enter_with(&mut self, c: &Rc<Closure>, slots: Slots, span: Span) -> Result<Value, Flow> {
        if c.def.on_stack {
            let base = self.stack.len();
            self.stack.extend(slots);
            return self.enter(c, Locals::Stack(base), span);
        }
        let frame = Rc::new(Frame { slots: RefCell::new(slots), parent: c.env.clone() });
        self.enter(c, Locals::Heap(frame), span)
    }

    /// Run a function body with its new locals; a stack frame is popped
    /// whatever the outcome.
    fn enter(&mut self, c: &Rc<Closure>, locals: Locals, span: Span) -> Result<Value, Flow> {
        let def = &c.def;
        let result = if self.depth >= MAX_CALL_DEPTH {
            let e = ErrorObj::new(ErrorKind::RecursionError, format!("calls nested deeper than {MAX_CALL_DEPTH}"))
                .with_help("look for a recursive function that never reaches its base case");
            Err(Flow::Error(e.at(span)))
        } else {
            match locals {
                Locals::Heap(frame) => self.run_body(def, &frame),
                Locals::Stack(base) => {
                    let saved = std::mem::replace(&mut self.base, base);
                    let r = match &c.env {
                        Some(env) => self.run_body(def, env),
                        None => {
                            let root = self.root.clone();
                            self.run_body(def, &root)
                        }
                    };
                    self.base = saved;
                    self.pop_locals(base);
                    r
                }
            }
        };
        match result {
            Ok(()) => Ok(Value::Nil),
            Err(Flow::Return) => Ok(std::mem::take(&mut self.ret)),
            Err(Flow::Error(mut e)) => {
                // Keep the innermost calls and, in the last place, the outermost.
                let frame = (def.name.clone().unwrap_or_else(|| "<fn>".into()), span);
                if e.trace.len() < 16 {
                    e.trace.push(frame);
                } else if let Some(last) = e.trace.last_mut() {
                    *last = frame;
                }
                Err(Flow::Error(e))
            }
            Err(other) => Err(other),
        }
    }

    /// The body of a call, one level deeper. The native stack is checked
    /// (and grown) every few levels: one level takes a few KiB, well inside
    /// the red zone.
    #[inline]
    fn run_body(&mut self, def: &FnDef, env: &Rc<Frame>) -> Result<(), Flow> {
        self.poll_signals()?;
        self.depth += 1;
        let r = if self.depth.is_multiple_of(8) {
            stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || self.exec_block(&def.body, env))
        } else {
            self.exec_block(&def.body, env)
        };
        self.depth -= 1;
        r
    }

    #[inline(never)]
    pub(crate) fn eval_method(
        &mut self,
        recv: &Expr,
        name: &MemberName,
        args: &[Arg],
        span: Span,
        env: &Rc<Frame>,
    ) -> Result<Value, Flow> {
        let obj = self.operand(recv, env)?;
        let mut pos = match args.is_empty() {
            true => Vec::new(),
            false => self.arg_lists.pop().unwrap_or_default(),
        };
        let mut kw = Vec::new();
        for a in args {
            let v = self.argument(&a.value, env)?;
            match &a.name {
                Some(n) => kw.push((n.name.clone(), v)),
                None => pos.push(v),
            }
        }
        let mut args = Args { pos, kw, span, name: name.name.clone(), owner: "" };
        let r = crate::builtins::call_method(self, &obj, &name.member, &mut args).at(span);
        obj.discard();
        let mut pos = std::mem::take(&mut args.pos);
        if pos.capacity() != 0 && pos.capacity() <= 8 && self.arg_lists.len() < 8 {
            pos.clear();
            self.arg_lists.push(pos);
        }
        r
    }
}

impl Interp {
    /// A safe point: act on pending signals (cheap when there are none).
    #[inline]
    pub(crate) fn poll_signals(&mut self) -> Result<(), Flow> {
        if crate::runtime::signals::ANY_PENDING.load(std::sync::atomic::Ordering::Relaxed) {
            crate::runtime::safe_point(self).map_err(|e| match e.exit {
                Some(code) => Flow::Exit(code),
                None => Flow::Error(e),
            })?;
        }
        Ok(())
    }

    /// `spawn f(args)`, `spawn obj.method(args)`, `spawn { block }`: the
    /// call's parts are evaluated here, in the parent; the child runs it.
    pub(crate) fn eval_spawn(
        &mut self,
        daemon: bool,
        thread: bool,
        body: &SpawnBody,
        span: Span,
        env: &Rc<Frame>,
    ) -> Result<Value, Flow> {
        enum Task {
            Call(Value, Vec<Value>, Vec<(Str, Value)>),
            Method(Value, MemberName, Vec<Value>, Vec<(Str, Value)>),
        }
        let task = match body {
            SpawnBody::Block(def) => {
                Task::Call(Value::Func(Rc::new(Closure { def: def.clone(), env: Some(env.clone()) })), vec![], vec![])
            }
            SpawnBody::Call(call) => match &call.kind {
                ExprKind::Call { callee, args } => {
                    let f = self.eval(callee, env)?;
                    let (pos, kw) = self.eval_args(args, env)?;
                    Task::Call(f, pos, kw)
                }
                ExprKind::Method { recv, name, args } => {
                    let obj = self.eval(recv, env)?;
                    let (pos, kw) = self.eval_args(args, env)?;
                    Task::Method(obj, name.clone(), pos, kw)
                }
                _ => {
                    return Err(Flow::Error(
                        ErrorObj::new(ErrorKind::TypeError, "`spawn` needs a call or a block").at(span),
                    ))
                }
            },
        };
        let call = move |interp: &mut Interp| match task {
            Task::Call(f, pos, kw) => interp.call_value(&f, pos, kw, span),
            Task::Method(obj, name, pos, kw) => {
                let mut args = Args { pos, kw, span, name: name.name, owner: "" };
                crate::builtins::call_method(interp, &obj, &name.member, &mut args).at(span)
            }
        };
        if thread {
            // A thread ends quietly on `exit()`; an uncaught error is printed.
            let run = move |interp: &mut Interp| match call(interp) {
                Err(Flow::Error(e)) if e.exit.is_none() => Some(e),
                _ => None,
            };
            let t = crate::runtime::thread::start(self, daemon, run).at(span)?;
            return Ok(Value::Handle(crate::runtime::Handle::Thread(t)));
        }
        let run = move |interp: &mut Interp| {
            let result = call(interp);
            interp.exit_code_of(result)
        };
        crate::runtime::process::spawn(self, daemon, run).at(span)
    }

    /// How a process ends after running `result`: prints the diagnostic of
    /// an uncaught error (to stderr, naming the process) and gives the code.
    pub fn exit_code_of(&mut self, result: Result<Value, Flow>) -> i32 {
        match result {
            Ok(_) | Err(Flow::Return) | Err(Flow::Break) | Err(Flow::Continue) => 0,
            Err(Flow::Exit(code)) => code,
            Err(Flow::Error(e)) if e.exit.is_some() => e.exit.unwrap_or(0),
            Err(Flow::Error(e)) => {
                let e = self.own(e);
                crate::runtime::output::eprint(&self.render_error(&e));
                e.exit_code()
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `exit()` inside a callback cannot unwind as `Flow::Exit` through a
/// builtin; it travels as this error and becomes `Flow::Exit` again.
pub fn exit_error(code: i32) -> Box<ErrorObj> {
    let mut e = ErrorObj::new(ErrorKind::SystemExit, format!("exit({code})"));
    e.exit = Some(code);
    e
}
