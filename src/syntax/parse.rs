//! pest pairs → AST. The grammar guarantees the shape of each pair, so the
//! walkers below only fail (as syntax errors) on what the grammar cannot
//! express: bad escapes, out-of-range numbers, assigning to a call.

use super::ast::*;
use super::span::{SourceId, Span};
use super::SyntaxError;
use pest::iterators::{Pair, Pairs};
use pest::Parser as _;
use std::rc::Rc;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/mpscript.pest"]
pub struct Grammar;

type PResult<T> = Result<T, SyntaxError>;

pub fn parse_program(text: &str, src: SourceId) -> PResult<Program> {
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
                let name = self.var(next(&mut it));
                StmtKind::Let { names: vec![name], value: self.expr(next(&mut it))? }
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
                let var = self.var(next(&mut it));
                let iter = self.expr(next(&mut it))?;
                StmtKind::For { var, iter, body: self.block(next(&mut it))? }
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
            Rule::assign_stmt => {
                let target = self.target(next(&mut it))?;
                let op = match next(&mut it).as_str() {
                    "=" => AssignOp::Set,
                    "+=" => AssignOp::Add,
                    "-=" => AssignOp::Sub,
                    "*=" => AssignOp::Mul,
                    "/=" => AssignOp::Div,
                    "//=" => AssignOp::FloorDiv,
                    _ => AssignOp::Mod,
                };
                StmtKind::Assign { target: Box::new(target), op, value: self.expr(next(&mut it))? }
            }
            Rule::expr_stmt => StmtKind::Expr(self.expr(next(&mut it))?),
            other => unreachable!("not a statement: {other:?}"),
        };
        Ok(Stmt { kind, span })
    }

    fn constructor_call(&self, name: &str, span: Span, args: Vec<Arg>) -> Expr {
        let callee = Expr { kind: ExprKind::Var(Var::new(name.into(), span)), span };
        Expr { kind: ExprKind::Call { callee: Box::new(callee), args }, span }
    }

    fn target(&self, p: Pair<Rule>) -> PResult<Target> {
        let span = self.span(&p);
        let e = self.postfix(p)?;
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
                let mut it = p.kids();
                let mut lhs = self.expr(next(&mut it))?;
                while let Some(op) = it.next() {
                    let rhs = self.expr(next(&mut it))?;
                    let span = lhs.span.to(rhs.span);
                    let (l, r) = (Box::new(lhs), Box::new(rhs));
                    let kind = if op.as_rule() == Rule::op_or { ExprKind::Or(l, r) } else { ExprKind::And(l, r) };
                    lhs = Expr { kind, span };
                }
                Ok(lhs)
            }
            Rule::not_expr => {
                let mut it = p.kids();
                let first = next(&mut it);
                if first.as_rule() == Rule::op_not {
                    let inner = self.expr(next(&mut it))?;
                    Ok(Expr { kind: ExprKind::Not(Box::new(inner)), span })
                } else {
                    self.expr(first)
                }
            }
            Rule::cmp_expr | Rule::add_expr | Rule::mul_expr => {
                let mut it = p.kids();
                let mut lhs = self.expr(next(&mut it))?;
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
            Rule::postfix => self.postfix(p),
            _ => self.primary(p),
        }
    }

    fn postfix(&self, p: Pair<Rule>) -> PResult<Expr> {
        let mut it = p.kids();
        let mut e = self.expr(next(&mut it))?;
        for op in it {
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
                    let index = self.expr(next(&mut op.kids()))?;
                    ExprKind::Index { obj: Box::new(e), index: Box::new(index) }
                }
                _ => ExprKind::Field { obj: Box::new(e), name: self.ident(next(&mut op.kids())) },
            }
            .with_span(span);
        }
        Ok(e)
    }

    fn args(&self, p: Pair<Rule>) -> PResult<Vec<Arg>> {
        let mut args: Vec<Arg> = Vec::new();
        for a in p.kids() {
            if a.as_rule() == Rule::kwarg {
                let mut it = a.kids();
                let name = self.ident(next(&mut it));
                if args.iter().any(|x| x.name.as_ref().is_some_and(|n| n.name == name.name)) {
                    return Err(err(name.span, format!("keyword argument `{}` is given twice", name.name)));
                }
                args.push(Arg { name: Some(name), value: self.expr(next(&mut it))? });
            } else {
                if let Some(kw) = args.iter().find_map(|x| x.name.as_ref()) {
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
            Rule::raw_string => {
                let s = p.as_str();
                let body = &s[1..s.len() - 1];
                ExprKind::Str(body.replace("\\'", "'").replace("\\\\", "\\").into())
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
                let mut body = None;
                for q in p.kids() {
                    match q.as_rule() {
                        Rule::daemon => daemon = true,
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
                                    message: "`spawn` needs a function call or a block".into(),
                                    help: Some("write `spawn worker(args)` or `spawn { … }`".into()),
                                    labels: vec![],
                                });
                            }
                            body = Some(SpawnBody::Call(Box::new(call)));
                        }
                    }
                }
                ExprKind::Spawn { daemon, body: body.ok_or_else(|| err(span, "`spawn` needs a call or a block"))? }
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
                Rule::str_text => text.push_str(q.as_str()),
                Rule::str_escape => text.push(match &q.as_str()[1..] {
                    "n" => '\n',
                    "t" => '\t',
                    "r" => '\r',
                    "0" => '\0',
                    "\\" => '\\',
                    "\"" => '"',
                    "'" => '\'',
                    "{" => '{',
                    "}" => '}',
                    other => {
                        return Err(SyntaxError {
                            span: self.span(&q),
                            message: format!("unknown escape `\\{other}` in a string"),
                            help: Some("known escapes: \\n \\t \\r \\0 \\\\ \\\" \\{ \\}".into()),
                            labels: vec![],
                        })
                    }
                }),
                _ => {
                    if !text.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut text).into()));
                    }
                    parts.push(StrPart::Expr(self.expr(next(&mut q.kids()))?));
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
