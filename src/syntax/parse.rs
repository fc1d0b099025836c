//! pest pairs → AST. The grammar guarantees the shape of each pair, so the
//! walkers below only fail (as syntax errors) on what the grammar cannot
//! express: bad escapes, out-of-range numbers, assigning to a call.

use super::ast::*;
use super::member::Member;
use super::span::{SourceId, Span};
use super::SyntaxError;
use pest::iterators::{Pair, Pairs};
use pest::Parser as _;
use std::rc::Rc;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/mpscript.pest"]
pub struct Grammar;

type PResult<T> = Result<T, SyntaxError>;

/// How deep brackets, blocks and strings may nest, and how many prefix
/// operators (`-`, `not`), `**` or postfix operations (`.f`, `[i]`, `(…)`)
/// one operand may carry: deeper code is a `SyntaxError`, so that neither
/// the parser nor the evaluator can run out of native stack.
pub const MAX_NESTING: usize = 200;

/// Chains of `+ -`, `* / // %`, `and`, `or` with more operands than this are
/// kept flat (`ExprKind::Chain`, `ExprKind::Logic`).
pub const CHAIN_MIN: usize = 32;

pub fn parse_program(text: &str, src: SourceId) -> PResult<Program> {
    super::nesting::check(text, src)?;
    let mut pairs = match Grammar::parse(Rule::program, text) {
        Ok(pairs) => pairs,
        Err(_) => return Err(detailed_error(text, src)),
    };
    let program = pairs.next().into_iter().flat_map(|p| p.kids());
    let b = Builder { src };
    let stmts = program.filter(|p| p.as_rule() != Rule::EOI).map(|p| b.stmt(p)).collect::<PResult<Vec<_>>>()?;
    Ok(Program { stmts })
}

/// Parse again with pest's error detail on, which also records the literal
/// tokens (`)`, `,`…) it expected; too slow to keep on for every parse.
fn detailed_error(text: &str, src: SourceId) -> SyntaxError {
    pest::set_error_detail(true);
    let result = Grammar::parse(Rule::program, text);
    pest::set_error_detail(false);
    match result {
        Err(e) => super::from_pest(e, src, text),
        Ok(_) => unreachable!("the same text parsed a moment ago failed"),
    }
}

struct Builder {
    src: SourceId,
}

fn err(span: Span, msg: impl Into<String>) -> SyntaxError {
    SyntaxError::new(span, msg)
}

impl Builder {
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.src, s.start(), s.end())
    }

    fn ident(&self, p: Pair<Rule>) -> Ident {
        Ident { name: p.as_str().into(), span: self.span(&p) }
    }

    fn member(&self, p: Pair<Rule>) -> MemberName {
        let name: Name = p.as_str().into();
        MemberName { member: Member::of(&name), name, span: self.span(&p) }
    }

    fn var(&self, p: Pair<Rule>) -> Var {
        Var::new(p.as_str().into(), self.span(&p))
    }

    fn block(&self, p: Pair<Rule>) -> PResult<Block> {
        let span = self.span(&p);
        let stmts = p.kids().map(|s| self.stmt(s)).collect::<PResult<_>>()?;
        Ok(Block { stmts, span })
    }

    fn stmt(&self, p: Pair<Rule>) -> PResult<Stmt> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut it = p.kids();
        let kind = match rule {
            Rule::let_stmt => {
                let kids: Vec<_> = it.collect();
                let n = kids.iter().take_while(|k| k.as_rule() == Rule::ident).count();
                let names = kids[..n].iter().map(|k| self.var(k.clone())).collect();
                StmtKind::Let { names, value: self.expr_list(kids[n..].to_vec())? }
            }
            Rule::fn_decl => {
                let name_pair = next(&mut it);
                let name = self.var(name_pair.clone());
                let def = self.fn_def(Some(name.name.clone()), span, it)?;
                StmtKind::FnDecl { name, def }
            }
            Rule::if_stmt => {
                let cond = self.expr(next(&mut it))?;
                let body = self.block(next(&mut it))?;
                let mut branches = vec![(cond, body)];
                let mut otherwise = None;
                for part in it {
                    let is_else_if = part.as_rule() == Rule::else_if;
                    let mut inner = part.kids();
                    if is_else_if {
                        let c = self.expr(next(&mut inner))?;
                        branches.push((c, self.block(next(&mut inner))?));
                    } else {
                        otherwise = Some(self.block(next(&mut inner))?);
                    }
                }
                StmtKind::If { branches, otherwise }
            }
            Rule::while_stmt => {
                let cond = self.expr(next(&mut it))?;
                StmtKind::While { cond, body: self.block(next(&mut it))? }
            }
            Rule::for_stmt => {
                let kids: Vec<_> = it.collect();
                let n = kids.len() - 2;
                let vars = kids[..n].iter().map(|k| self.var(k.clone())).collect();
                let iter = self.expr(kids[n].clone())?;
                StmtKind::For { vars, iter, body: self.block(kids[n + 1].clone())? }
            }
            Rule::try_stmt => {
                let body = self.block(next(&mut it))?;
                let (mut catch, mut finally) = (None, None);
                for part in it {
                    let is_catch = part.as_rule() == Rule::catch_clause;
                    let inner: Vec<_> = part.kids().collect();
                    if is_catch {
                        let (name, blk) = match inner.as_slice() {
                            [name, blk] => (Some(self.var(name.clone())), blk.clone()),
                            [blk] => (None, blk.clone()),
                            _ => unreachable!("catch clause shape"),
                        };
                        catch = Some((name, self.block(blk)?));
                    } else {
                        finally = Some(self.block(next(&mut inner.into_iter()))?);
                    }
                }
                if catch.is_none() && finally.is_none() {
                    return Err(SyntaxError {
                        span,
                        message: "`try` needs a `catch` or a `finally` block".into(),
                        help: Some("add `catch e { … }` after the try block".into()),
                        labels: vec![],
                    });
                }
                StmtKind::Try { body, catch, finally }
            }
            Rule::return_stmt => StmtKind::Return(it.next().map(|e| self.expr(e)).transpose()?),
            Rule::break_stmt => StmtKind::Break,
            Rule::continue_stmt => StmtKind::Continue,
            Rule::throw_stmt => StmtKind::Throw(self.expr(next(&mut it))?),
            Rule::guard_stmt => {
                let kw = next(&mut it);
                let kind = if kw.as_str().starts_with("lock") { GuardKind::Lock } else { GuardKind::Sem };
                let target = self.expr(next(&mut it))?;
                StmtKind::Guard { kind, target, body: self.block(next(&mut it))? }
            }
            Rule::lock_decl
            | Rule::event_decl
            | Rule::sem_decl
            | Rule::queue_decl
            | Rule::pool_decl
            | Rule::shared_decl => {
                let ctor = match rule {
                    Rule::lock_decl => "lock",
                    Rule::event_decl => "event",
                    Rule::sem_decl => "sem",
                    Rule::queue_decl => "queue",
                    Rule::pool_decl => "pool",
                    _ => "shared",
                };
                let name = self.var(next(&mut it));
                let args = it
                    .next()
                    .map(|e| self.expr(e).map(|value| Arg { name: None, value }))
                    .into_iter()
                    .collect::<PResult<Vec<_>>>()?;
                StmtKind::Let { names: vec![name], value: self.constructor_call(ctor, span, args) }
            }
            Rule::pipe_decl => {
                let a = self.var(next(&mut it));
                let shape = next(&mut it);
                let duplex = shape.as_rule() == Rule::pipe_duplex;
                let b = self.var(next(&mut shape.kids()));
                let arg = Arg { name: None, value: Expr { kind: ExprKind::Bool(duplex), span } };
                StmtKind::Let { names: vec![a, b], value: self.constructor_call("pipe", span, vec![arg]) }
            }
            Rule::expr_stmt => {
                let kids: Vec<_> = it.collect();
                let Some(at) = kids.iter().position(|k| k.as_rule() == Rule::assign_op) else {
                    if kids.len() > 1 {
                        return Err(err(self.span(&kids[1]), "a comma list needs `=` after it")
                            .with_help("write `a, b = b, a` to assign several names at once"));
                    }
                    return Ok(Stmt { kind: StmtKind::Expr(self.expr(kids[0].clone())?), span });
                };
                let op = match kids[at].as_str() {
                    "=" => AssignOp::Set,
                    "+=" => AssignOp::Add,
                    "-=" => AssignOp::Sub,
                    "*=" => AssignOp::Mul,
                    "**=" => AssignOp::Pow,
                    "/=" => AssignOp::Div,
                    "//=" => AssignOp::FloorDiv,
                    _ => AssignOp::Mod,
                };
                let mut targets = kids[..at].iter().map(|k| self.target(k.clone())).collect::<PResult<Vec<_>>>()?;
                let target = if targets.len() == 1 {
                    targets.pop().expect("one target")
                } else if op != AssignOp::Set {
                    return Err(err(
                        self.span(&kids[at]),
                        format!("`{}` cannot assign several targets", kids[at].as_str()),
                    )
                    .with_help("only `=` unpacks: `a, b = b, a`"));
                } else {
                    Target::Unpack(targets)
                };
                StmtKind::Assign { target: Box::new(target), op, value: self.expr_list(kids[at + 1..].to_vec())? }
            }
            other => unreachable!("not a statement: {other:?}"),
        };
        Ok(Stmt { kind, span })
    }

    fn constructor_call(&self, name: &str, span: Span, args: Vec<Arg>) -> Expr {
        let callee = Expr { kind: ExprKind::Var(Var::new(name.into(), span)), span };
        Expr { kind: ExprKind::Call { callee: Box::new(callee), args }, span }
    }

    /// One expression, or a comma list of them as a list.
    fn expr_list(&self, kids: Vec<Pair<Rule>>) -> PResult<Expr> {
        let mut items = kids.into_iter().map(|k| self.expr(k)).collect::<PResult<Vec<_>>>()?;
        if items.len() == 1 {
            return Ok(items.pop().expect("one item"));
        }
        let span = items[0].span.to(items[items.len() - 1].span);
        Ok(Expr { kind: ExprKind::List(items), span })
    }

    fn target(&self, p: Pair<Rule>) -> PResult<Target> {
        let span = self.span(&p);
        let e = self.expr(p)?;
        match e.kind {
            ExprKind::Var(v) => Ok(Target::Var(v)),
            ExprKind::Index { obj, index } => Ok(Target::Index { obj: *obj, index: *index }),
            ExprKind::Field { obj, name } => Ok(Target::Field { obj: *obj, name }),
            _ => Err(SyntaxError {
                span,
                message: "cannot assign to this expression".into(),
                help: Some("the left side of `=` must be a variable, `xs[i]` or `obj.field`".into()),
                labels: vec![],
            }),
        }
    }

    fn fn_def<'a>(
        &self,
        name: Option<Name>,
        span: Span,
        mut it: impl Iterator<Item = Pair<'a, Rule>>,
    ) -> PResult<Rc<FnDef>> {
        let params = next(&mut it)
            .kids()
            .map(|p| {
                let mut inner = p.kids();
                let var = self.var(next(&mut inner));
                let default = inner.next().map(|d| self.expr(d)).transpose()?;
                Ok(Param { var, default })
            })
            .collect::<PResult<Vec<_>>>()?;
        let mut seen_default = false;
        for (i, p) in params.iter().enumerate() {
            if params[..i].iter().any(|q| q.var.name == p.var.name) {
                return Err(err(p.var.span, format!("parameter `{}` appears twice", p.var.name)));
            }
            if p.default.is_some() {
                seen_default = true;
            } else if seen_default {
                return Err(SyntaxError {
                    span: p.var.span,
                    message: format!("parameter `{}` without a default follows one with a default", p.var.name),
                    help: Some("put parameters with defaults last".into()),
                    labels: vec![],
                });
            }
        }
        let body = self.block(next(&mut it))?;
        Ok(Rc::new(FnDef { name, params, body, span, frame_size: 0, on_stack: false }))
    }

    fn expr(&self, p: Pair<Rule>) -> PResult<Expr> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::expr => self.expr(next(&mut p.kids())),
            Rule::or_expr | Rule::and_expr => {
                let or = p.as_rule() == Rule::or_expr;
                let items = p.kids().filter(|q| !matches!(q.as_rule(), Rule::op_or | Rule::op_and)).collect::<Vec<_>>();
                if items.len() > CHAIN_MIN {
                    let items = items.into_iter().map(|q| self.expr(q)).collect::<PResult<Vec<_>>>()?;
                    return Ok(Expr { kind: ExprKind::Logic { or, items }, span });
                }
                let mut it = items.into_iter();
                let mut lhs = self.expr(next(&mut it))?;
                for q in it {
                    let rhs = self.expr(q)?;
                    let span = lhs.span.to(rhs.span);
                    let (l, r) = (Box::new(lhs), Box::new(rhs));
                    let kind = if or { ExprKind::Or(l, r) } else { ExprKind::And(l, r) };
                    lhs = Expr { kind, span };
                }
                Ok(lhs)
            }
            Rule::not_expr => {
                let kids: Vec<_> = p.kids().collect();
                let nots = kids.len() - 1;
                if nots > MAX_NESTING {
                    return Err(too_deep(span));
                }
                let mut e = self.expr(kids[nots].clone())?;
                for q in kids[..nots].iter().rev() {
                    let span = self.span(q).to(e.span);
                    e = Expr { kind: ExprKind::Not(Box::new(e)), span };
                }
                Ok(e)
            }
            Rule::cmp_expr | Rule::add_expr | Rule::mul_expr => {
                let mut it = p.kids();
                let mut lhs = self.expr(next(&mut it))?;
                let mut rest: Vec<(BinOp, Expr)> = Vec::new();
                while let Some(op) = it.next() {
                    let rhs = self.expr(next(&mut it))?;
                    let op = match op.as_str() {
                        "+" => BinOp::Add,
                        "-" => BinOp::Sub,
                        "*" => BinOp::Mul,
                        "/" => BinOp::Div,
                        "//" => BinOp::FloorDiv,
                        "%" => BinOp::Mod,
                        "==" => BinOp::Eq,
                        "!=" => BinOp::Ne,
                        "<" => BinOp::Lt,
                        "<=" => BinOp::Le,
                        ">" => BinOp::Gt,
                        ">=" => BinOp::Ge,
                        _ => BinOp::In,
                    };
                    rest.push((op, rhs));
                }
                if rest.len() >= CHAIN_MIN {
                    return Ok(Expr { kind: ExprKind::Chain { first: Box::new(lhs), rest }, span });
                }
                for (op, rhs) in rest {
                    let span = lhs.span.to(rhs.span);
                    lhs = Expr { kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span };
                }
                Ok(lhs)
            }
            Rule::range_expr => {
                let mut it = p.kids();
                let start = self.expr(next(&mut it))?;
                match it.next() {
                    None => Ok(start),
                    Some(op) => {
                        let end = self.expr(next(&mut it))?;
                        let inclusive = op.as_str() == "..=";
                        let kind = ExprKind::Range { start: Box::new(start), end: Box::new(end), inclusive };
                        Ok(Expr { kind, span })
                    }
                }
            }
            Rule::unary => {
                let mut negs = 0;
                let mut inner = None;
                for q in p.kids() {
                    if q.as_rule() == Rule::op_neg {
                        negs += 1;
                    } else {
                        inner = Some(q);
                    }
                }
                let operand = inner.ok_or_else(|| err(span, "expected an expression after `-`"))?;
                if negs > MAX_NESTING {
                    return Err(too_deep(span));
                }
                // `-9223372036854775808` must be read as one literal.
                if negs == 1 && operand.as_str().chars().all(|c| c.is_ascii_digit() || c == '_') {
                    let digits: String = operand.as_str().chars().filter(|c| *c != '_').collect();
                    if let Ok(v) = format!("-{digits}").parse::<i64>() {
                        return Ok(Expr { kind: ExprKind::Int(v), span });
                    }
                }
                let mut e = self.expr(operand)?;
                for _ in 0..negs {
                    e = Expr { kind: ExprKind::Neg(Box::new(e)), span };
                }
                Ok(e)
            }
            Rule::power => self.power(p),
            Rule::postfix => self.postfix(p),
            _ => self.primary(p),
        }
    }

    /// `a ** b ** -c`: right-associative, each right operand with its own
    /// unary minus (`2 ** -1`), binding tighter than a minus before `a`.
    fn power(&self, p: Pair<Rule>) -> PResult<Expr> {
        let span = self.span(&p);
        let mut it = p.kids();
        let base = self.expr(next(&mut it))?;
        // The right operands, each with the number of `-` before it.
        let mut operands: Vec<(usize, Expr, Span)> = Vec::new();
        let mut negs = 0;
        let mut op_span = span;
        for q in it {
            match q.as_rule() {
                Rule::op_pow => op_span = self.span(&q),
                Rule::op_neg => negs += 1,
                _ => {
                    operands.push((negs, self.expr(q)?, op_span));
                    negs = 0;
                }
            }
        }
        if operands.len() > MAX_NESTING || operands.iter().any(|(n, _, _)| *n > MAX_NESTING) {
            return Err(too_deep(span));
        }
        let negate = |mut e: Expr, n: usize, from: Span| {
            for _ in 0..n {
                let span = from.to(e.span);
                e = Expr { kind: ExprKind::Neg(Box::new(e)), span };
            }
            e
        };
        // Fold from the right: u_i = -…-(p_i ** u_{i+1}).
        let mut acc: Option<Expr> = None;
        let mut prev_negs = 0;
        let mut prev_op = span;
        for (n, e, op) in operands.into_iter().rev() {
            let power = match acc.take() {
                None => e,
                Some(right) => {
                    let right = negate(right, prev_negs, prev_op);
                    let span = e.span.to(right.span);
                    Expr { kind: ExprKind::Binary { op: BinOp::Pow, lhs: Box::new(e), rhs: Box::new(right) }, span }
                }
            };
            acc = Some(power);
            prev_negs = n;
            prev_op = op;
        }
        Ok(match acc {
            None => base,
            Some(right) => {
                let right = negate(right, prev_negs, prev_op);
                let span = base.span.to(right.span);
                Expr { kind: ExprKind::Binary { op: BinOp::Pow, lhs: Box::new(base), rhs: Box::new(right) }, span }
            }
        })
    }

    fn postfix(&self, p: Pair<Rule>) -> PResult<Expr> {
        let span = self.span(&p);
        let mut it = p.kids();
        let mut e = self.expr(next(&mut it))?;
        let mut count = 0;
        for op in it {
            count += 1;
            if count > MAX_NESTING {
                return Err(too_deep(span));
            }
            let span = e.span.to(self.span(&op));
            e = match op.as_rule() {
                Rule::call_args => {
                    let args = self.args(op)?;
                    match e.kind {
                        ExprKind::Field { obj, name } => ExprKind::Method { recv: obj, name, args },
                        kind => ExprKind::Call { callee: Box::new(Expr { kind, span: e.span }), args },
                    }
                }
                Rule::index => {
                    let kids: Vec<_> = op.kids().collect();
                    if kids.iter().all(|k| k.as_rule() != Rule::slice_colon) {
                        let index = self.expr(kids[0].clone())?;
                        ExprKind::Index { obj: Box::new(e), index: Box::new(index) }
                    } else {
                        // The parts between the colons, each possibly empty.
                        let mut parts: [Option<Box<Expr>>; 3] = [None, None, None];
                        let mut i = 0;
                        for k in kids {
                            if k.as_rule() == Rule::slice_colon {
                                i += 1;
                            } else {
                                parts[i] = Some(Box::new(self.expr(k)?));
                            }
                        }
                        let [start, end, step] = parts;
                        ExprKind::Slice { obj: Box::new(e), start, end, step }
                    }
                }
                _ => ExprKind::Field { obj: Box::new(e), name: self.member(next(&mut op.kids())) },
            }
            .with_span(span);
        }
        Ok(e)
    }

    fn args(&self, p: Pair<Rule>) -> PResult<Vec<Arg>> {
        let mut args: Vec<Arg> = Vec::new();
        // The first keyword argument, and all their names (linear in the
        // number of arguments: a call may have tens of thousands).
        let mut first_kw: Option<Ident> = None;
        let mut kw_names: std::collections::HashSet<Name> = Default::default();
        for a in p.kids() {
            if a.as_rule() == Rule::kwarg {
                let mut it = a.kids();
                let name = self.ident(next(&mut it));
                if !kw_names.insert(name.name.clone()) {
                    return Err(err(name.span, format!("keyword argument `{}` is given twice", name.name)));
                }
                first_kw.get_or_insert_with(|| name.clone());
                args.push(Arg { name: Some(name), value: self.expr(next(&mut it))? });
            } else {
                if let Some(kw) = &first_kw {
                    return Err(SyntaxError {
                        span: self.span(&a),
                        message: "a positional argument follows a keyword argument".into(),
                        help: Some(format!("put positional arguments before `{}=`", kw.name)),
                        labels: vec![],
                    });
                }
                args.push(Arg { name: None, value: self.expr(a)? });
            }
        }
        Ok(args)
    }

    fn primary(&self, p: Pair<Rule>) -> PResult<Expr> {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::int => {
                let text: String = p.as_str().chars().filter(|c| *c != '_').collect();
                let parsed = match text.strip_prefix("0x") {
                    Some(hex) => i64::from_str_radix(hex, 16),
                    None => text.parse::<i64>(),
                };
                ExprKind::Int(parsed.map_err(|_| SyntaxError {
                    span,
                    message: format!("integer literal {} does not fit in 64 bits", p.as_str()),
                    help: Some("integers range from -9223372036854775808 to 9223372036854775807".into()),
                    labels: vec![],
                })?)
            }
            Rule::float => {
                let text: String = p.as_str().chars().filter(|c| *c != '_').collect();
                ExprKind::Float(text.parse().map_err(|_| err(span, "malformed float literal"))?)
            }
            Rule::true_lit => ExprKind::Bool(true),
            Rule::false_lit => ExprKind::Bool(false),
            Rule::nil_lit => ExprKind::Nil,
            Rule::string => self.string(p)?,
            Rule::bytes_lit => {
                let s = p.as_str();
                let start = p.as_span().start() + 2;
                let at = |a: usize, b: usize| Span::new(self.src, start + a, start + b);
                ExprKind::Bytes(super::escapes::bytes(&s[2..s.len() - 1], at)?.into())
            }
            Rule::raw_string => {
                let s = p.as_str();
                let body = &s[1..s.len() - 1];
                let start = p.as_span().start() + 1;
                ExprKind::Str(super::escapes::plain(body, |a, b| Span::new(self.src, start + a, start + b))?.into())
            }
            Rule::ident => ExprKind::Var(self.var(p)),
            Rule::constructor => ExprKind::Var(self.var(p)),
            Rule::list => ExprKind::List(p.kids().map(|e| self.expr(e)).collect::<PResult<_>>()?),
            Rule::dict => ExprKind::Dict(
                p.kids()
                    .map(|pair| {
                        let mut it = pair.kids();
                        Ok((self.expr(next(&mut it))?, self.expr(next(&mut it))?))
                    })
                    .collect::<PResult<_>>()?,
            ),
            Rule::fn_literal => ExprKind::Fn(self.fn_def(None, span, p.kids())?),
            Rule::spawn_expr => {
                let mut daemon = false;
                let mut thread = false;
                let mut body = None;
                let word = if p.as_str().starts_with("thread") { "thread" } else { "spawn" };
                for q in p.kids() {
                    match q.as_rule() {
                        Rule::daemon => daemon = true,
                        Rule::kw_thread => thread = true,
                        Rule::block => {
                            let block = self.block(q)?;
                            let def = FnDef {
                                name: None,
                                params: vec![],
                                span: block.span,
                                body: block,
                                frame_size: 0,
                                on_stack: false,
                            };
                            body = Some(SpawnBody::Block(Rc::new(def)));
                        }
                        _ => {
                            let call = self.postfix(q)?;
                            if !matches!(call.kind, ExprKind::Call { .. } | ExprKind::Method { .. }) {
                                return Err(SyntaxError {
                                    span: call.span,
                                    message: format!("`{word}` needs a function call or a block"),
                                    help: Some(format!("write `{word} worker(args)` or `{word} {{ … }}`")),
                                    labels: vec![],
                                });
                            }
                            body = Some(SpawnBody::Call(Box::new(call)));
                        }
                    }
                }
                let body = body.ok_or_else(|| err(span, format!("`{word}` needs a call or a block")))?;
                ExprKind::Spawn { daemon, thread, body }
            }
            _ => self.expr(p)?.kind,
        };
        Ok(Expr { kind, span })
    }

    fn string(&self, p: Pair<Rule>) -> PResult<ExprKind> {
        let mut parts: Vec<StrPart> = Vec::new();
        let mut text = String::new();
        for q in p.kids() {
            match q.as_rule() {
                Rule::str_text => {
                    let start = q.as_span().start();
                    let at = |a: usize, b: usize| Span::new(self.src, start + a, start + b);
                    super::escapes::decode(q.as_str(), &mut text, at)?;
                }
                _ => {
                    if !text.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut text).into()));
                    }
                    let mut inner = q.kids();
                    let e = self.expr(next(&mut inner))?;
                    let spec = inner.next().map(|s| Name::from(&s.as_str()[1..]));
                    parts.push(StrPart::Expr(e, spec));
                }
            }
        }
        if parts.is_empty() {
            return Ok(ExprKind::Str(text.into()));
        }
        if !text.is_empty() {
            parts.push(StrPart::Text(text.into()));
        }
        Ok(ExprKind::Interp(parts))
    }
}

fn too_deep(span: Span) -> SyntaxError {
    err(span, format!("nesting too deep (more than {MAX_NESTING} levels)"))
        .with_help("split the expression into several statements, or use a loop")
}

impl ExprKind {
    fn with_span(self, span: Span) -> Expr {
        Expr { kind: self, span }
    }
}

/// Children of a pair, without keyword tokens (which carry no information).
type KidPairs<'a> = std::iter::Filter<Pairs<'a, Rule>, fn(&Pair<'a, Rule>) -> bool>;

trait Kids<'a> {
    fn kids(self) -> KidPairs<'a>;
}

impl<'a> Kids<'a> for Pair<'a, Rule> {
    fn kids(self) -> KidPairs<'a> {
        self.into_inner().filter(|p| !is_token(p.as_rule()))
    }
}

fn is_token(r: Rule) -> bool {
    matches!(
        r,
        Rule::kw_let
            | Rule::kw_fn
            | Rule::kw_return
            | Rule::kw_if
            | Rule::kw_else
            | Rule::kw_while
            | Rule::kw_for
            | Rule::kw_in
            | Rule::kw_try
            | Rule::kw_catch
            | Rule::kw_finally
            | Rule::kw_throw
            | Rule::kw_spawn
            | Rule::kw_lock
            | Rule::kw_sem
            | Rule::kw_event
            | Rule::kw_queue
            | Rule::kw_pipe
            | Rule::kw_pool
            | Rule::kw_shared
            | Rule::kw_assign
    )
}

/// The next child of a pair whose shape the grammar fixes.
fn next<'a>(it: &mut impl Iterator<Item = Pair<'a, Rule>>) -> Pair<'a, Rule> {
    it.next().expect("the grammar guarantees this child")
}
