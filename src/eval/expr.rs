//! Expressions: literals, variables, operators, indexing, fields.

use super::Interp;
use crate::diagnostics::{ErrorKind, ErrorObj, Flow};
use crate::runtime::trace::Part;
use crate::syntax::ast::{Expr, ExprKind, Slot, StrPart, Var};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{self, display, list_index, type_name, Closure, DictMap, Frame, Key, Range, Value};
use std::rc::Rc;

pub(crate) type EResult = Result<Value, Flow>;

/// Attach a span to a runtime error raised without one.
pub(crate) trait At<T> {
    fn at(self, span: Span) -> Result<T, Flow>;
}

impl<T> At<T> for Result<T, Box<ErrorObj>> {
    #[inline]
    fn at(self, span: Span) -> Result<T, Flow> {
        self.map_err(|e| Flow::Error(e.at(span)))
    }
}

impl Interp {
    pub(crate) fn eval(&mut self, e: &Expr, env: &Rc<Frame>) -> EResult {
        match &e.kind {
            ExprKind::Int(i) => Ok(Value::Int(*i)),
            ExprKind::Var(v) => self.read_var(v, env),
            ExprKind::Binary { op, lhs, rhs } => {
                if let Some(v) = self.ints_in_place(*op, lhs, rhs, env) {
                    return Ok(v);
                }
                let a = self.binary_operand(lhs, env)?;
                let b = self.binary_operand(rhs, env)?;
                let fast = match (&a, &b) {
                    (Value::Int(x), Value::Int(y)) => int_fast(*op, *x, *y),
                    _ => None,
                };
                let r = match fast {
                    Some(v) => Ok(v),
                    None => value::binary_op(*op, &a, &b).at(e.span),
                };
                a.discard();
                b.discard();
                r
            }
            ExprKind::Call { callee, args } => self.eval_call(callee, args, e.span, env),
            ExprKind::Method { recv, name, args } => self.eval_method(recv, name, args, e.span, env),
            ExprKind::Nil => Ok(Value::Nil),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Float(f) => Ok(Value::Float(*f)),
            ExprKind::Str(s) => Ok(Value::Str(s.clone())),
            ExprKind::Bytes(b) => Ok(Value::Bytes(b.clone())),
            ExprKind::Not(x) => Ok(Value::Bool(!self.eval(x, env)?.truthy())),
            ExprKind::And(a, b) => {
                let l = self.eval(a, env)?;
                if !l.truthy() {
                    return Ok(l);
                }
                self.eval(b, env)
            }
            ExprKind::Or(a, b) => {
                let l = self.eval(a, env)?;
                if l.truthy() {
                    return Ok(l);
                }
                self.eval(b, env)
            }
            ExprKind::Index { obj, index } => {
                let o = self.eval(obj, env)?;
                let i = self.eval(index, env)?;
                self.index_get(&o, &i, obj.span).at(e.span)
            }
            _ => self.eval_rare(e, env),
        }
    }

    /// The less frequent expressions, apart so `eval` keeps a small stack
    /// frame (its prologue runs for every node).
    #[inline(never)]
    fn eval_rare(&mut self, e: &Expr, env: &Rc<Frame>) -> EResult {
        match &e.kind {
            ExprKind::Interp(parts) => {
                let mut out = String::new();
                for p in parts {
                    match p {
                        StrPart::Text(t) => out.push_str(t),
                        StrPart::Expr(x, None) => {
                            let v = self.eval(x, env)?;
                            match &v {
                                Value::Str(s) => out.push_str(s),
                                other => out.push_str(&display(other)),
                            }
                        }
                        StrPart::Expr(x, Some(spec)) => {
                            let v = self.eval(x, env)?;
                            out.push_str(&crate::builtins::format_spec(&v, spec).at(x.span)?);
                        }
                    }
                }
                Ok(Value::Str(out.into()))
            }
            ExprKind::List(items) => {
                let mut v = Vec::with_capacity(items.len());
                for i in items {
                    v.push(self.eval(i, env)?);
                }
                Ok(Value::list(v))
            }
            ExprKind::Dict(pairs) => {
                let mut map = DictMap::default();
                for (k, v) in pairs {
                    let key = self.eval(k, env)?;
                    let key = Key::from_value(&key).at(k.span)?;
                    let val = self.eval(v, env)?;
                    map.insert(key, val);
                }
                Ok(Value::dict(map))
            }
            ExprKind::Range { start, end, inclusive } => {
                let s = self.eval(start, env)?;
                let t = self.eval(end, env)?;
                let s = value::expect_int(&s, "range", "the start").at(start.span)?;
                let t = value::expect_int(&t, "range", "the end").at(end.span)?;
                Ok(Value::Range(Range { start: s, end: t, inclusive: *inclusive }))
            }
            ExprKind::Chain { first, rest } => {
                let mut acc = self.eval(first, env)?;
                for (op, x) in rest {
                    let b = self.eval(x, env)?;
                    let span = first.span.to(x.span);
                    acc = value::binary_op(*op, &acc, &b).at(span)?;
                }
                Ok(acc)
            }
            ExprKind::Logic { or, items } => {
                let mut last = Value::Nil;
                for x in items {
                    last = self.eval(x, env)?;
                    if last.truthy() == *or {
                        break;
                    }
                }
                Ok(last)
            }
            ExprKind::Slice { obj, start, end, step } => {
                let o = self.eval(obj, env)?;
                let mut part = |x: &Option<Box<Expr>>| -> Result<Option<i64>, Flow> {
                    let Some(x) = x else { return Ok(None) };
                    match self.eval(x, env)? {
                        Value::Nil => Ok(None),
                        Value::Int(i) => Ok(Some(i)),
                        Value::Bool(b) => Ok(Some(b as i64)),
                        other => Err(Flow::Error(
                            ErrorObj::new(
                                ErrorKind::TypeError,
                                format!("slice indices must be ints or nil, not {}", type_name(&other)),
                            )
                            .at(x.span),
                        )),
                    }
                };
                let (a, b, c) = (part(start)?, part(end)?, part(step)?);
                value::slice::slice_value(&o, a, b, c).at(e.span)
            }
            ExprKind::Neg(x) => match self.eval(x, env)? {
                Value::Int(i) => i.checked_neg().map(Value::Int).ok_or_else(|| {
                    Flow::Error(ErrorObj::new(ErrorKind::OverflowError, "integer overflow in -").at(e.span))
                }),
                Value::Float(f) => Ok(Value::Float(-f)),
                Value::Bool(b) => Ok(Value::Int(-(b as i64))),
                other => Err(Flow::Error(
                    ErrorObj::new(ErrorKind::TypeError, format!("cannot negate {}", type_name(&other))).at(e.span),
                )),
            },
            ExprKind::Field { obj, name } => {
                let o = self.eval(obj, env)?;
                self.field_get(&o, &name.member, obj.span).at(name.span)
            }
            ExprKind::Fn(def) => Ok(Value::Func(Rc::new(Closure { def: def.clone(), env: Some(env.clone()) }))),
            ExprKind::Spawn { daemon, thread, body } => self.eval_spawn(*daemon, *thread, body, e.span, env),
            _ => self.eval(e, env),
        }
    }

    /// The truth of a condition; comparisons of ints give a `bool` without
    /// making a `Value`.
    #[inline(always)]
    pub(crate) fn eval_cond(&mut self, e: &Expr, env: &Rc<Frame>) -> Result<bool, Flow> {
        if let ExprKind::Binary { op, lhs, rhs } = &e.kind {
            if let (Some(x), Some(y)) = (self.peek_int(lhs, env), self.peek_int(rhs, env)) {
                if let Some(b) = int_compare(*op, x, y) {
                    return Ok(b);
                }
            }
        }
        self.eval_truth(e, env)
    }

    #[inline(never)]
    fn eval_truth(&mut self, e: &Expr, env: &Rc<Frame>) -> Result<bool, Flow> {
        let v = self.eval(e, env)?;
        let t = v.truthy();
        v.discard();
        Ok(t)
    }

    /// The int a literal or a variable holds, read where it lives.
    #[inline(always)]
    pub(crate) fn peek_int(&self, e: &Expr, env: &Rc<Frame>) -> Option<i64> {
        match &e.kind {
            ExprKind::Int(i) => Some(*i),
            ExprKind::Var(v) => match v.slot {
                Slot::Stack(s) => match self.stack.get(self.base + s as usize) {
                    Some(Value::Int(i)) => Some(*i),
                    _ => None,
                },
                Slot::Local(s) => match env.slots.borrow().get(s as usize) {
                    Some(Value::Int(i)) => Some(*i),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    }

    /// Evaluate, with the leaves (literals, variables) inline: they are half
    /// of all expressions.
    /// `operand`, and ints combined in place (`n - 1`) without entering
    /// `eval`: for call arguments.
    #[inline(always)]
    pub(crate) fn argument(&mut self, e: &Expr, env: &Rc<Frame>) -> EResult {
        if let ExprKind::Binary { op, lhs, rhs } = &e.kind {
            if let Some(v) = self.ints_in_place(*op, lhs, rhs, env) {
                return Ok(v);
            }
        }
        self.operand(e, env)
    }

    /// `lhs op rhs` when both are int literals or variables holding ints,
    /// read where they live (no clone, no drop), and the case is a hot one.
    #[inline(always)]
    fn ints_in_place(&self, op: crate::syntax::ast::BinOp, lhs: &Expr, rhs: &Expr, env: &Rc<Frame>) -> Option<Value> {
        int_fast(op, self.peek_int(lhs, env)?, self.peek_int(rhs, env)?)
    }

    /// `operand`, and a call made from here (`fib(n - 1) + fib(n - 2)`)
    /// without a pass through `eval`.
    #[inline(always)]
    fn binary_operand(&mut self, e: &Expr, env: &Rc<Frame>) -> EResult {
        match &e.kind {
            ExprKind::Call { callee, args } => self.eval_call(callee, args, e.span, env),
            _ => self.operand(e, env),
        }
    }

    #[inline(always)]
    pub(crate) fn operand(&mut self, e: &Expr, env: &Rc<Frame>) -> EResult {
        match &e.kind {
            ExprKind::Int(i) => Ok(Value::Int(*i)),
            ExprKind::Var(v) => match v.slot {
                Slot::Stack(s) => Ok(self.stack[self.base + s as usize].clone()),
                _ => self.read_var(v, env),
            },
            _ => self.eval(e, env),
        }
    }

    #[inline]
    pub(crate) fn read_var(&mut self, v: &Var, env: &Rc<Frame>) -> EResult {
        match v.slot {
            Slot::Stack(s) => Ok(self.stack[self.base + s as usize].clone()),
            Slot::Local(s) => Ok(env.slots.borrow()[s as usize].clone()),
            Slot::Global(s) => match &self.globals[s as usize] {
                Some(v) => Ok(v.clone()),
                None => Err(self.undefined(v)),
            },
            Slot::Outer { depth, slot } => Ok(outer_frame(env, depth).slots.borrow()[slot as usize].clone()),
            Slot::Unresolved => Err(self.undefined(v)),
        }
    }

    fn undefined(&self, v: &Var) -> Flow {
        let known: Vec<&str> = (self.global_names.slot_names().iter().zip(self.globals.iter()))
            .filter(|(_, v)| v.is_some())
            .filter_map(|(n, _)| n.as_deref())
            .collect();
        let help = crate::resolve::undefined_help(&v.name, &known);
        let e =
            ErrorObj::new(ErrorKind::NameError, format!("name `{}` is not defined", v.name)).with_help(help).at(v.span);
        Flow::Error(e)
    }

    /// Set a variable that `let` (or a parameter, or `for`) declared.
    #[inline]
    pub(crate) fn init_var(&mut self, v: &Var, value: Value, env: &Rc<Frame>) {
        let old = match v.slot {
            Slot::Stack(s) => std::mem::replace(&mut self.stack[self.base + s as usize], value),
            Slot::Local(s) => std::mem::replace(&mut env.slots.borrow_mut()[s as usize], value),
            Slot::Global(s) => self.globals[s as usize].replace(value).unwrap_or_default(),
            Slot::Outer { depth, slot } => {
                std::mem::replace(&mut outer_frame(env, depth).slots.borrow_mut()[slot as usize], value)
            }
            Slot::Unresolved => value,
        };
        old.discard();
    }

    /// Assign an existing variable: an undeclared global is an error.
    pub(crate) fn assign_var(&mut self, v: &Var, value: Value, env: &Rc<Frame>) -> Result<(), Flow> {
        if let Slot::Global(s) = v.slot {
            if self.globals[s as usize].is_none() {
                let e = ErrorObj::new(
                    ErrorKind::NameError,
                    format!("cannot assign to `{}`: it was never declared", v.name),
                )
                .with_help(format!("declare it with `let {} = …`", v.name))
                .at(v.span);
                return Err(Flow::Error(e));
            }
        }
        self.init_var(v, value, env);
        Ok(())
    }

    /// `obj[index]`; `at` is where `obj` is written (a shared object's read is traced there).
    pub(crate) fn index_get(&mut self, obj: &Value, index: &Value, at: Span) -> Result<Value, Box<ErrorObj>> {
        match obj {
            Value::List(items) => {
                let items = items.borrow();
                let i = list_index(index, items.len())?;
                Ok(items[i].clone())
            }
            Value::Dict(map) => {
                let key = Key::from_value(index)?;
                map.borrow().get(&key).cloned().ok_or_else(|| {
                    ErrorObj::new(ErrorKind::KeyError, format!("key {} is not in the dict", value::repr(index)))
                        .with_help("use d.get(key, default) to read a key that may be missing")
                })
            }
            Value::Str(s) => {
                let n = s.chars().count();
                let i = list_index(index, n)?;
                Ok(Value::Str(s.chars().nth(i).map(|c| c.to_string()).unwrap_or_default().into()))
            }
            Value::Bytes(b) => Ok(Value::Int(b[list_index(index, b.len())?] as i64)),
            Value::Range(r) => {
                let i = list_index(index, r.len())?;
                Ok(Value::Int(r.start + i as i64))
            }
            Value::Handle(h) => {
                crate::runtime::explore::point(self)?;
                let v = crate::runtime::index_get(h, index)?;
                crate::runtime::trace::shared(self, h, false, at, Part::Index(index), &v);
                Ok(v)
            }
            other => Err(ErrorObj::new(ErrorKind::TypeError, format!("{} cannot be indexed", type_name(other)))),
        }
    }

    pub(crate) fn index_set(&mut self, obj: &Value, index: &Value, v: Value, at: Span) -> Result<(), Box<ErrorObj>> {
        match obj {
            Value::List(items) => {
                let mut items = items.borrow_mut();
                let i = list_index(index, items.len())?;
                items[i] = v;
                Ok(())
            }
            Value::Dict(map) => {
                let key = Key::from_value(index)?;
                let mut map = map.borrow_mut();
                // Grow big dicts threefold, as CPython does: fewer rehashes
                // than hashbrown's doubling.
                if map.len() == map.capacity() && map.len() >= 4096 {
                    let more = map.len() * 2;
                    map.reserve(more);
                }
                if let Some(old) = map.insert(key, v) {
                    old.discard();
                }
                Ok(())
            }
            Value::Handle(h) => {
                crate::runtime::explore::point(self)?;
                let shown = crate::runtime::trace::enabled().then(|| v.clone());
                crate::runtime::index_set(h, index, v)?;
                if let Some(v) = shown {
                    crate::runtime::trace::shared(self, h, true, at, Part::Index(index), &v);
                }
                Ok(())
            }
            Value::Str(_) => Err(ErrorObj::new(ErrorKind::TypeError, "strings cannot be changed in place")
                .with_help("build a new string instead, e.g. with + or replace()")),
            other => Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("{} does not support item assignment", type_name(other)),
            )),
        }
    }

    pub(crate) fn field_get(&mut self, obj: &Value, m: &Member, at: Span) -> Result<Value, Box<ErrorObj>> {
        match (obj, m) {
            (Value::Error(e), Member::Kind) => Ok(Value::str(e.kind.name())),
            (Value::Error(e), Member::Message) => Ok(Value::str(&e.message)),
            (Value::Error(e), Member::Line) => Ok(e
                .span
                .and_then(|s| self.sources.get(s.src).map(|src| (s, src)))
                .map(|(s, src)| Value::Int(crate::syntax::span::line_col(&src.text, s.start as usize).0 as i64))
                .unwrap_or(Value::Nil)),
            (Value::Range(r), Member::Start) => Ok(Value::Int(r.start)),
            (Value::Range(r), Member::End) => Ok(Value::Int(r.end)),
            (Value::Handle(h), _) => {
                crate::runtime::explore::point(self)?;
                let v = crate::runtime::field_get(self, h, m)?;
                crate::runtime::trace::shared(self, h, false, at, Part::Field(m.as_str()), &v);
                Ok(v)
            }
            _ => Err(ErrorObj::new(ErrorKind::AttributeError, format!("{} has no field `{m}`", type_name(obj)))),
        }
    }

    pub(crate) fn field_set(&mut self, obj: &Value, m: &Member, v: Value, at: Span) -> Result<(), Box<ErrorObj>> {
        match obj {
            Value::Handle(h) => {
                crate::runtime::explore::point(self)?;
                let shown = crate::runtime::trace::enabled().then(|| v.clone());
                crate::runtime::field_set(self, h, m, v)?;
                if let Some(v) = shown {
                    crate::runtime::trace::shared(self, h, true, at, Part::Field(m.as_str()), &v);
                }
                Ok(())
            }
            _ => Err(ErrorObj::new(ErrorKind::AttributeError, format!("cannot set field `{m}` of {}", type_name(obj)))),
        }
    }
}

/// `x op y` on ints when it is one of the hot cases and does not overflow.
#[inline(always)]
pub(crate) fn int_fast(op: crate::syntax::ast::BinOp, x: i64, y: i64) -> Option<Value> {
    match int_compare(op, x, y) {
        Some(b) => Some(Value::Bool(b)),
        None => int_arith(op, x, y).map(Value::Int),
    }
}

/// `x op y` for the comparisons.
#[inline(always)]
fn int_compare(op: crate::syntax::ast::BinOp, x: i64, y: i64) -> Option<bool> {
    use crate::syntax::ast::BinOp::*;
    match op {
        Lt => Some(x < y),
        Le => Some(x <= y),
        Gt => Some(x > y),
        Ge => Some(x >= y),
        Eq => Some(x == y),
        Ne => Some(x != y),
        _ => None,
    }
}

/// `x op y` for the arithmetic of compound assignment (`+=`, `-=`, `*=`),
/// when it does not overflow.
#[inline(always)]
pub(crate) fn int_arith(op: crate::syntax::ast::BinOp, x: i64, y: i64) -> Option<i64> {
    use crate::syntax::ast::BinOp::*;
    match op {
        Add => x.checked_add(y),
        Sub => x.checked_sub(y),
        Mul => x.checked_mul(y),
        _ => None,
    }
}

#[inline]
fn outer_frame(env: &Rc<Frame>, depth: u32) -> &Rc<Frame> {
    let mut f = env;
    for _ in 0..depth {
        f = f.parent.as_ref().expect("the resolver counted this many enclosing frames");
    }
    f
}
