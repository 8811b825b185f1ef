//! The compiled program: a tree of nodes with coalesced text and folded constants.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::vec::Vec;

use crate::value::Value;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Pos {
    pub(crate) line: u32,
    pub(crate) col: u32,
}

#[derive(Debug)]
pub(crate) struct Expr {
    pub(crate) kind: ExprKind,
    pub(crate) pos: Pos,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Filter {
    Escape,
    Safe,
    Default,
    Upper,
    Lower,
    Length,
    Join,
    Trim,
    Replace,
    Capitalize,
    Title,
    First,
    Last,
    Int,
    Float,
    Round,
    List,
    Sort,
    Reverse,
    Truncate,
    Tojson,
    Urlencode,
    Abs,
    String,
}

impl Filter {
    pub(crate) fn from_name(name: &str) -> Option<Filter> {
        Some(match name {
            "escape" | "e" => Filter::Escape,
            "safe" => Filter::Safe,
            "default" | "d" => Filter::Default,
            "upper" => Filter::Upper,
            "lower" => Filter::Lower,
            "length" | "count" => Filter::Length,
            "join" => Filter::Join,
            "trim" => Filter::Trim,
            "replace" => Filter::Replace,
            "capitalize" => Filter::Capitalize,
            "title" => Filter::Title,
            "first" => Filter::First,
            "last" => Filter::Last,
            "int" => Filter::Int,
            "float" => Filter::Float,
            "round" => Filter::Round,
            "list" => Filter::List,
            "sort" => Filter::Sort,
            "reverse" => Filter::Reverse,
            "truncate" => Filter::Truncate,
            "tojson" => Filter::Tojson,
            "urlencode" => Filter::Urlencode,
            "abs" => Filter::Abs,
            "string" => Filter::String,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Test {
    Defined,
    Undefined,
    None,
    Even,
    Odd,
    DivisibleBy,
    String,
    Number,
    Mapping,
    Sequence,
    Boolean,
    Integer,
    Float,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    In,
    Lower,
    Upper,
    SameAs,
    Iterable,
    Escaped,
}

impl Test {
    pub(crate) fn from_name(name: &str) -> Option<Test> {
        Some(match name {
            "defined" => Test::Defined,
            "undefined" => Test::Undefined,
            "none" => Test::None,
            "even" => Test::Even,
            "odd" => Test::Odd,
            "divisibleby" => Test::DivisibleBy,
            "string" => Test::String,
            "number" => Test::Number,
            "mapping" => Test::Mapping,
            "sequence" => Test::Sequence,
            "boolean" => Test::Boolean,
            "integer" => Test::Integer,
            "float" => Test::Float,
            "eq" | "equalto" | "==" => Test::Eq,
            "ne" | "!=" => Test::Ne,
            "lt" | "lessthan" | "<" => Test::Lt,
            "gt" | "greaterthan" | ">" => Test::Gt,
            "le" | "<=" => Test::Le,
            "ge" | ">=" => Test::Ge,
            "in" => Test::In,
            "lower" => Test::Lower,
            "upper" => Test::Upper,
            "sameas" => Test::SameAs,
            "iterable" => Test::Iterable,
            "escaped" => Test::Escaped,
            _ => return None,
        })
    }
}

#[derive(Debug)]
pub(crate) enum ExprKind {
    Const(Value),
    Var(Rc<str>),
    Attr(Box<Expr>, Rc<str>),
    Item(Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Neg(Box<Expr>),
    Plus(Box<Expr>),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Concat(Vec<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(Box<Expr>, Vec<(CmpOp, Expr)>),
    Cond(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
    Filter(Box<Expr>, Filter, Vec<Expr>, Vec<(Rc<str>, Expr)>),
    Test(Box<Expr>, Test, Vec<Expr>, bool),
    Call(Box<Expr>, Vec<Expr>, Vec<(Rc<str>, Expr)>),
    Super,
}

#[derive(Debug)]
pub(crate) enum Node {
    /// Static text (adjacent pieces coalesced), with the position of its first piece.
    Text(Box<str>, Pos),
    Print(Expr),
    If(Vec<(Expr, Vec<Node>)>, Vec<Node>),
    For(Box<ForLoop>),
    Set(Vec<Rc<str>>, Expr),
    SetBlock(Rc<str>, Vec<Node>),
    Include(Expr, bool),
    Extends(Expr),
    Block(Rc<str>, Pos),
    Macro(Rc<MacroDef>),
    Autoescape(Expr, Vec<Node>),
}

#[derive(Debug)]
pub(crate) struct ForLoop {
    pub(crate) targets: Vec<Rc<str>>,
    pub(crate) iter: Expr,
    pub(crate) filter: Option<Expr>,
    pub(crate) body: Vec<Node>,
    pub(crate) else_body: Vec<Node>,
    pub(crate) pos: Pos,
}

/// A macro definition (shared between the template and the values that call it).
#[derive(Debug)]
pub(crate) struct MacroDef {
    pub(crate) name: Rc<str>,
    pub(crate) params: Vec<(Rc<str>, Option<Expr>)>,
    pub(crate) body: Vec<Node>,
    pub(crate) template: Rc<str>,
}

/// A compiled template program.
#[derive(Debug)]
pub(crate) struct Program {
    pub(crate) name: Rc<str>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) blocks: BTreeMap<Rc<str>, Rc<Vec<Node>>>,
    pub(crate) has_extends: bool,
    /// Output size of the last render, to size the next one's string up front.
    pub(crate) size_hint: core::cell::Cell<usize>,
}
