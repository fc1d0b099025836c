//! Statements and control flow: blocks, assignment, loops, try/catch/finally.

use super::expr::{int_arith, At};
use super::Interp;
use crate::diagnostics::{ErrorKind, ErrorObj, Flow};
use crate::syntax::ast::{AssignOp, Block, GuardKind, Stmt, StmtKind, Target};
use crate::value::{self, type_name, Closure, Value};
use std::rc::Rc;

pub(crate) type SResult = Result<(), Flow>;

impl Interp {
    #[inline]
    pub(crate) fn exec_block(&mut self, b: &Block, env: &Rc<crate::value::Frame>) -> SResult {
        for s in &b.stmts {
            self.exec(s, env)?;
        }
        Ok(())
    }

    pub(crate) fn exec(&mut self, s: &Stmt, env: &Rc<crate::value::Frame>) -> SResult {
        match &s.kind {
            StmtKind::Expr(e) => self.eval(e, env)?.discard(),
            StmtKind::Assign { target, op, value } => return self.assign(target, *op, value, env),
            StmtKind::If { branches, otherwise } => {
                for (cond, body) in branches {
                    if self.eval_cond(cond, env)? {
                        return self.exec_block(body, env);
                    }
                }
                if let Some(b) = otherwise {
                    return self.exec_block(b, env);
                }
            }
            StmtKind::While { cond, body } => {
                while self.eval_cond(cond, env)? {
                    match self.exec_block(body, env) {
                        Ok(()) | Err(Flow::Continue) => {}
                        Err(Flow::Break) => break,
                        Err(other) => return Err(other),
                    }
                    self.poll_signals()?;
                }
            }
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => self.operand(e, env)?,
                    None => Value::Nil,
                };
                std::mem::replace(&mut self.ret, v).discard();
                return Err(Flow::Return);
            }
            StmtKind::Let { names, value } if names.len() == 1 => {
                let v = self.eval(value, env)?;
                self.init_var(&names[0], v, env);
            }
            _ => return self.exec_rare(s, env),
        }
        Ok(())
    }

    /// The less frequent statements, apart so `exec` keeps a small stack
    /// frame (it recurses through every block).
    #[inline(never)]
    fn exec_rare(&mut self, s: &Stmt, env: &Rc<crate::value::Frame>) -> SResult {
        match &s.kind {
            StmtKind::Let { names, value } => {
                let v = self.eval(value, env)?;
                if let [name] = names.as_slice() {
                    self.init_var(name, v, env);
                } else {
                    let items = unpack(&v, names.len()).at(value.span)?;
                    for (n, item) in names.iter().zip(items) {
                        self.init_var(n, item, env);
                    }
                }
            }
            StmtKind::Expr(_)
            | StmtKind::Assign { .. }
            | StmtKind::If { .. }
            | StmtKind::While { .. }
            | StmtKind::Return(_) => return self.exec(s, env),
            StmtKind::For { vars, iter, body } => {
                let it = self.eval(iter, env)?;
                self.exec_for(vars, &it, body, env, iter.span).map_err(|f| match f {
                    Flow::Error(e) => Flow::Error(e.at(iter.span)),
                    other => other,
                })?;
            }
            StmtKind::Break => return Err(Flow::Break),
            StmtKind::Continue => return Err(Flow::Continue),
            StmtKind::Throw(e) => {
                let v = self.eval(e, env)?;
                let err = match v {
                    Value::Error(obj) => Box::new((*obj).clone()),
                    Value::Str(s) => ErrorObj::new(ErrorKind::user("Error"), s.to_string()),
                    other => ErrorObj::new(ErrorKind::user("Error"), value::display(&other)),
                };
                return Err(Flow::Error(self.own(err.at(s.span))));
            }
            StmtKind::FnDecl { name, def } => {
                let closure = Closure { def: def.clone(), env: Some(env.clone()) };
                self.init_var(name, Value::Func(Rc::new(closure)), env);
            }
            StmtKind::Try { body, catch, finally } => {
                let mut result = self.exec_block(body, env);
                // Ctrl-C and a whole-program deadlock end the run; no `catch` stops them.
                let catchable = matches!(&result, Err(Flow::Error(e)) if !e.ends_program());
                if let (true, Some((var, handler))) = (catchable, catch) {
                    let Err(Flow::Error(e)) = std::mem::replace(&mut result, Ok(())) else { unreachable!() };
                    if let Some(v) = var {
                        let e = self.own(e);
                        self.init_var(v, Value::Error(Rc::new(*e)), env);
                    }
                    result = self.exec_block(handler, env);
                }
                if let Some(fin) = finally {
                    self.exec_block(fin, env)?;
                }
                return result;
            }
            StmtKind::Guard { kind, target, body } => {
                let obj = self.eval(target, env)?;
                let guard = match kind {
                    GuardKind::Lock => crate::runtime::Guard::Lock,
                    GuardKind::Sem => crate::runtime::Guard::Sem,
                };
                let token = crate::runtime::guard_enter(self, guard, &obj, target.span).at(target.span)?;
                let result = self.exec_block(body, env);
                crate::runtime::guard_exit(self, token).at(target.span)?;
                return result;
            }
        }
        Ok(())
    }

    fn assign(
        &mut self,
        target: &Target,
        op: AssignOp,
        value: &crate::syntax::ast::Expr,
        env: &Rc<crate::value::Frame>,
    ) -> SResult {
        match target {
            Target::Unpack(targets) => {
                let v = self.eval(value, env)?;
                let items = unpack(&v, targets.len()).at(value.span)?;
                for (t, item) in targets.iter().zip(items) {
                    self.store(t, item, env)?;
                }
                Ok(())
            }
            Target::Var(v) => {
                // `i += 1` on an int local: change it in place.
                if let (Some(bin), crate::syntax::ast::Slot::Stack(slot)) = (op.binary(), v.slot) {
                    if let Some(y) = self.peek_int(value, env) {
                        let at = self.base + slot as usize;
                        if let Some(Value::Int(x)) = self.stack.get_mut(at) {
                            if let Some(r) = int_arith(bin, *x, y) {
                                *x = r;
                                return Ok(());
                            }
                        }
                    }
                }
                let new = match op.binary() {
                    None => self.operand(value, env)?,
                    Some(bin) => {
                        let old = self.read_var(v, env)?;
                        let rhs = self.operand(value, env)?;
                        let r = self.compound(bin, &old, &rhs, value.span);
                        old.discard();
                        rhs.discard();
                        r?
                    }
                };
                // A safe point between the read and the write: another
                // thread may run here, as in Python (`x = x + 1` races).
                self.poll_signals()?;
                self.assign_var(v, new, env)
            }
            Target::Index { obj, index } => {
                let o = self.operand(obj, env)?;
                let i = self.operand(index, env)?;
                let new = match op.binary() {
                    None => self.operand(value, env)?,
                    Some(bin) => {
                        // A read, then a separate write (racy on shared objects, on purpose).
                        let old = self.index_get(&o, &i, obj.span).at(index.span)?;
                        let rhs = self.eval(value, env)?;
                        self.compound(bin, &old, &rhs, value.span)?
                    }
                };
                let r = self.index_set(&o, &i, new, obj.span).at(index.span);
                o.discard();
                i.discard();
                r
            }
            Target::Field { obj, name } => {
                let o = self.eval(obj, env)?;
                let new = match op.binary() {
                    None => self.eval(value, env)?,
                    Some(bin) => {
                        let old = self.field_get(&o, &name.member, obj.span).at(name.span)?;
                        let rhs = self.eval(value, env)?;
                        self.compound(bin, &old, &rhs, value.span)?
                    }
                };
                self.field_set(&o, &name.member, new, obj.span).at(name.span)
            }
        }
    }

    /// Store `v` into one target of an unpacking assignment.
    fn store(&mut self, target: &Target, v: Value, env: &Rc<crate::value::Frame>) -> SResult {
        match target {
            Target::Var(var) => self.assign_var(var, v, env),
            Target::Index { obj, index } => {
                let o = self.eval(obj, env)?;
                let i = self.eval(index, env)?;
                self.index_set(&o, &i, v, obj.span).at(index.span)
            }
            Target::Field { obj, name } => {
                let o = self.eval(obj, env)?;
                self.field_set(&o, &name.member, v, obj.span).at(name.span)
            }
            Target::Unpack(targets) => {
                let items = unpack(&v, targets.len()).map_err(Flow::Error)?;
                for (t, item) in targets.iter().zip(items) {
                    self.store(t, item, env)?;
                }
                Ok(())
            }
        }
    }

    fn compound(
        &mut self,
        op: crate::syntax::ast::BinOp,
        old: &Value,
        rhs: &Value,
        span: crate::syntax::span::Span,
    ) -> Result<Value, Flow> {
        if let (Value::Int(a), Value::Int(b)) = (old, rhs) {
            if let Some(v) = int_arith(op, *a, *b) {
                return Ok(Value::Int(v));
            }
        }
        // `xs += [..]` extends the list in place, as Python does.
        if let (crate::syntax::ast::BinOp::Add, Value::List(l), Value::List(r)) = (op, old, rhs) {
            let extra = r.borrow().clone();
            value::check_list_size(l.borrow().len().checked_add(extra.len())).map_err(|e| e.at(span))?;
            l.borrow_mut().extend(extra);
            return Ok(old.clone());
        }
        value::binary_op(op, old, rhs).at(span)
    }

    fn exec_for(
        &mut self,
        vars: &[crate::syntax::ast::Var],
        it: &Value,
        body: &Block,
        env: &Rc<crate::value::Frame>,
        span: crate::syntax::span::Span,
    ) -> SResult {
        macro_rules! body {
            ($v:expr) => {{
                if let [var] = vars {
                    self.init_var(var, $v, env);
                } else {
                    let items = unpack(&$v, vars.len()).map_err(Flow::Error)?;
                    for (var, item) in vars.iter().zip(items) {
                        self.init_var(var, item, env);
                    }
                }
                match self.exec_block(body, env) {
                    Ok(()) | Err(Flow::Continue) => {}
                    Err(Flow::Break) => break,
                    Err(other) => return Err(other),
                }
                self.poll_signals()?;
            }};
        }
        match it {
            Value::Range(r) => {
                let mut i = r.start;
                let stop = r.stop();
                while i < stop {
                    body!(Value::Int(i));
                    i += 1;
                }
            }
            Value::List(items) => {
                // Index by index, re-reading the list: the body may change it.
                let mut i = 0;
                loop {
                    let item = match items.borrow().get(i) {
                        Some(v) => v.clone(),
                        None => break,
                    };
                    body!(item);
                    i += 1;
                }
            }
            Value::Dict(map) => {
                let keys: Vec<Value> = map.borrow().keys().map(|k| k.to_value()).collect();
                for k in keys {
                    body!(k);
                }
            }
            Value::Str(s) => {
                let chars: Vec<char> = s.chars().collect();
                for c in chars {
                    body!(Value::Str(c.to_string().into()));
                }
            }
            Value::Bytes(b) => {
                for &x in b.iter() {
                    body!(Value::Int(x as i64));
                }
            }
            // Results of `p.imap(…)`: one at a time, as they come.
            Value::Handle(crate::runtime::Handle::Results(r)) => {
                let r = r.clone();
                while let Some(item) = r.next_item(self, None, span).map_err(Flow::Error)? {
                    body!(item);
                }
            }
            Value::Handle(h) => {
                let items = crate::runtime::iterate(h).map_err(Flow::Error)?;
                for item in items {
                    body!(item);
                }
            }
            other => {
                return Err(Flow::Error(ErrorObj::new(
                    ErrorKind::TypeError,
                    format!("cannot loop over {}", type_name(other)),
                )))
            }
        }
        Ok(())
    }
}

/// The `n` items of `v` for `let a, b = v`, `a, b = v` and `for a, b in …`.
pub(crate) fn unpack(v: &Value, n: usize) -> Result<Vec<Value>, Box<ErrorObj>> {
    let items = match v {
        Value::List(_) | Value::Str(_) | Value::Dict(_) | Value::Range(_) | Value::Handle(_) => {
            crate::builtins::items_of(v, "unpack")?
        }
        other => {
            return Err(ErrorObj::new(
                ErrorKind::TypeError,
                format!("cannot unpack {} into {n} names", type_name(other)),
            ))
        }
    };
    if items.len() != n {
        let how = if items.len() < n { "not enough" } else { "too many" };
        return Err(ErrorObj::new(
            ErrorKind::ValueError,
            format!("{how} values to unpack (expected {n}, got {})", items.len()),
        ));
    }
    Ok(items)
}
