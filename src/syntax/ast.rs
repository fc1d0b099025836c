//! The typed syntax tree. The parser builds it with every variable
//! `Unresolved`; `resolve` then fills in where each variable lives, so the
//! evaluator never looks a name up by string.

use super::member::Member;
use super::span::Span;
use std::rc::Rc;

pub type Name = Rc<str>;

/// Where a variable lives at run time, decided by the resolver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Unresolved,
    /// A slot of the current function's frame.
    Local(u32),
    /// A slot of the current call on the interpreter's value stack: the
    /// locals of a function that makes no closures need no heap frame.
    Stack(u32),
    /// A slot of an enclosing function's frame, `depth` frames up.
    Outer {
        depth: u32,
        slot: u32,
    },
    /// A slot of the program-wide globals.
    Global(u32),
}

#[derive(Clone, Debug)]
pub struct Var {
    pub name: Name,
    pub span: Span,
    pub slot: Slot,
}

impl Var {
    pub fn new(name: Name, span: Span) -> Var {
        Var { name, span, slot: Slot::Unresolved }
    }
}

#[derive(Clone, Debug)]
pub struct Ident {
    pub name: Name,
    pub span: Span,
}

/// The name after a dot (`q.put`, `p.pid`): its text, and the `Member`
/// the parser interned it as.
#[derive(Clone, Debug)]
pub struct MemberName {
    pub name: Name,
    pub member: Member,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    Set,
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
}

impl AssignOp {
    /// The binary operator of a compound assignment (`+=` → `+`).
    pub fn binary(self) -> Option<BinOp> {
        Some(match self {
            AssignOp::Set => return None,
            AssignOp::Add => BinOp::Add,
            AssignOp::Sub => BinOp::Sub,
            AssignOp::Mul => BinOp::Mul,
            AssignOp::Div => BinOp::Div,
            AssignOp::FloorDiv => BinOp::FloorDiv,
            AssignOp::Mod => BinOp::Mod,
            AssignOp::Pow => BinOp::Pow,
        })
    }
}

#[derive(Clone, Debug)]
pub enum Target {
    Var(Var),
    Index {
        obj: Expr,
        index: Expr,
    },
    Field {
        obj: Expr,
        name: MemberName,
    },
    /// `a, b = …`: the items of the value, one per target.
    Unpack(Vec<Target>),
}

/// The two guard keywords: `lock EXPR { }` and `sem EXPR { }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardKind {
    Lock,
    Sem,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    /// `let x = v`; also every declaration form (`lock l`, `queue q = 10`…),
    /// desugared to `let NAME = constructor(args)`. Two names (`pipe a, b`)
    /// take the two items of the list the value gives.
    Let {
        names: Vec<Var>,
        value: Expr,
    },
    Assign {
        target: Box<Target>,
        op: AssignOp,
        value: Expr,
    },
    Expr(Expr),
    FnDecl {
        name: Var,
        def: Rc<FnDef>,
    },
    If {
        branches: Vec<(Expr, Block)>,
        otherwise: Option<Block>,
    },
    While {
        cond: Expr,
        body: Block,
    },
    /// `for x in xs`, or `for k, v in pairs` (each item unpacked).
    For {
        vars: Vec<Var>,
        iter: Expr,
        body: Block,
    },
    Break,
    Continue,
    Return(Option<Expr>),
    Throw(Expr),
    Try {
        body: Block,
        catch: Option<(Option<Var>, Block)>,
        finally: Option<Block>,
    },
    Guard {
        kind: GuardKind,
        target: Expr,
        body: Block,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Arg {
    /// `Some` for a keyword argument `name=value`.
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Clone, Debug)]
pub enum StrPart {
    Text(Name),
    /// `{expr}` or `{expr:spec}` (the spec without its colon).
    Expr(Expr, Option<Name>),
}

#[derive(Clone, Debug)]
pub enum SpawnBody {
    Call(Box<Expr>),
    Block(Rc<FnDef>),
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Name),
    Bytes(std::rc::Rc<[u8]>),
    Interp(Vec<StrPart>),
    Var(Var),
    List(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Range {
        start: Box<Expr>,
        end: Box<Expr>,
        inclusive: bool,
    },
    /// A long left-associative chain `a + b - c …` (more than
    /// `CHAIN_MIN` operands), kept flat so that neither evaluating nor
    /// dropping it recurses once per operand.
    Chain {
        first: Box<Expr>,
        rest: Vec<(BinOp, Expr)>,
    },
    /// A long `a and b and …` (`or` when `or` is true), flat for the same reason.
    Logic {
        or: bool,
        items: Vec<Expr>,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    /// `recv.name(args)`: kept apart from `Call(Field)` so methods dispatch
    /// without building a bound-method value.
    Method {
        recv: Box<Expr>,
        name: MemberName,
        args: Vec<Arg>,
    },
    Index {
        obj: Box<Expr>,
        index: Box<Expr>,
    },
    Field {
        obj: Box<Expr>,
        name: MemberName,
    },
    /// `obj[start:end:step]`, any part left out.
    Slice {
        obj: Box<Expr>,
        start: Option<Box<Expr>>,
        end: Option<Box<Expr>>,
        step: Option<Box<Expr>>,
    },
    Fn(Rc<FnDef>),
    /// `spawn …` (a child process) or `thread …` (a thread of this one).
    Spawn {
        daemon: bool,
        thread: bool,
        body: SpawnBody,
    },
}

#[derive(Clone, Debug)]
pub struct Param {
    pub var: Var,
    pub default: Option<Expr>,
}

/// A function's code: named, anonymous, or the body of `spawn { }`.
#[derive(Debug)]
pub struct FnDef {
    pub name: Option<Name>,
    pub params: Vec<Param>,
    pub body: Block,
    pub span: Span,
    /// Number of local slots a call needs (set by the resolver).
    pub frame_size: u32,
    /// Its locals live on the value stack (it creates no closure that could
    /// outlive the call); set by the resolver.
    pub on_stack: bool,
}

#[derive(Debug)]
pub struct Program {
    pub stmts: Vec<Stmt>,
}
