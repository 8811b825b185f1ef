//! Parses tokens into the program tree, folding constants and coalescing text.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use crate::ast::*;
use crate::error::{Error, ErrorKind};
use crate::lexer::{LineIndex, Tok, Token};
use crate::value::{Repr, Value};

pub(crate) struct Parser<'a> {
    toks: Vec<Token>,
    idx: usize,
    lines: &'a LineIndex,
    name: Rc<str>,
    depth: usize,
    max_depth: usize,
    blocks: BTreeMap<Rc<str>, Rc<Vec<Node>>>,
    has_extends: bool,
    /// Autoescape state known at compile time (None inside dynamic autoescape blocks).
    autoescape: Option<bool>,
}

type PResult<T> = Result<T, Error>;

/// Keyword arguments of a call: names and expressions, in source order.
type KwArgs = Vec<(Rc<str>, Expr)>;

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

pub(crate) fn parse(
    toks: Vec<Token>,
    lines: &LineIndex,
    name: Rc<str>,
    max_depth: usize,
    autoescape: bool,
) -> PResult<Program> {
    let mut p = Parser {
        toks,
        idx: 0,
        lines,
        name: name.clone(),
        depth: 0,
        max_depth,
        blocks: BTreeMap::new(),
        has_extends: false,
        autoescape: Some(autoescape),
    };
    let (nodes, end) = p.subparse(&[])?;
    if let Some(end) = end {
        return Err(p.err_at(p.idx, format!("unexpected '{end}'")));
    }
    Ok(Program {
        name,
        nodes,
        blocks: p.blocks,
        has_extends: p.has_extends,
        size_hint: core::cell::Cell::new(0),
    })
}

impl Parser<'_> {
    fn tok(&self) -> &Tok {
        self.toks.get(self.idx).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn peek_tok(&self, n: usize) -> &Tok {
        self.toks.get(self.idx + n).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn pos(&self) -> Pos {
        self.pos_of(self.idx)
    }

    fn pos_of(&self, idx: usize) -> Pos {
        let off = self.toks.get(idx).map_or(0, |t| t.offset);
        let (line, col) = self.lines.pos(off);
        Pos { line, col }
    }

    fn err_at(&self, idx: usize, msg: impl Into<String>) -> Error {
        let off = self
            .toks
            .get(idx)
            .or_else(|| self.toks.last())
            .map_or(0, |t| t.offset);
        let (line, col) = self.lines.pos(off);
        Error::new(ErrorKind::Syntax, msg).at(&self.name, line, col)
    }

    fn err(&self, msg: impl Into<String>) -> Error {
        self.err_at(self.idx, msg)
    }

    fn bump(&mut self) -> Tok {
        let t = self.tok().clone();
        if self.idx < self.toks.len() {
            self.idx += 1;
        }
        t
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.tok(), Tok::Op(o) if *o == op)
    }

    fn is_name(&self, n: &str) -> bool {
        matches!(self.tok(), Tok::Name(x) if x == n)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.idx += 1;
            true
        } else {
            false
        }
    }

    fn eat_name(&mut self, n: &str) -> bool {
        if self.is_name(n) {
            self.idx += 1;
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str) -> PResult<()> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(self.err(format!("expected '{op}'")))
        }
    }

    fn expect_name(&mut self) -> PResult<Rc<str>> {
        match self.bump() {
            Tok::Name(n) => Ok(Rc::from(n)),
            _ => {
                self.idx = self.idx.saturating_sub(1);
                Err(self.err("expected a name"))
            }
        }
    }

    fn expect_block_end(&mut self) -> PResult<()> {
        if matches!(self.tok(), Tok::BlockEnd) {
            self.idx += 1;
            Ok(())
        } else {
            Err(self.err("expected end of statement block"))
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            let e = self.err(format!("nesting exceeds max_nesting ({})", self.max_depth));
            return Err(Error::new(ErrorKind::LimitExceeded, e.message()).at(
                e.template(),
                e.line(),
                e.column(),
            ));
        }
        Ok(())
    }

    fn leave(&mut self, n: usize) {
        self.depth = self.depth.saturating_sub(n);
    }

    /// Parses nodes until one of `ends` is the keyword of a block tag; returns that
    /// keyword (the tag's name token is consumed, the rest of the tag is not).
    fn subparse(&mut self, ends: &[&str]) -> PResult<(Vec<Node>, Option<String>)> {
        self.enter()?;
        let mut nodes: Vec<Node> = Vec::new();
        loop {
            match self.bump() {
                Tok::Eof => {
                    if !ends.is_empty() {
                        return Err(self.err(format!(
                            "unexpected end of template, expected '{}'",
                            ends.join("' or '")
                        )));
                    }
                    self.leave(1);
                    return Ok((nodes, None));
                }
                Tok::Text(t) => {
                    let pos = self.pos_of(self.idx.saturating_sub(1));
                    push_text(&mut nodes, &t, pos)
                }
                Tok::VarBegin => {
                    let e = self.parse_tuple_expr(false)?;
                    if !matches!(self.tok(), Tok::VarEnd) {
                        return Err(self.err("expected end of print statement"));
                    }
                    self.idx += 1;
                    self.push_print(&mut nodes, e);
                }
                Tok::BlockBegin => {
                    let kw = match self.tok() {
                        Tok::Name(n) => n.clone(),
                        _ => return Err(self.err("expected a statement name")),
                    };
                    if ends.contains(&kw.as_str()) {
                        self.idx += 1;
                        self.leave(1);
                        return Ok((nodes, Some(kw)));
                    }
                    self.idx += 1;
                    self.statement(&kw, &mut nodes)?;
                }
                _ => return Err(self.err_at(self.idx.saturating_sub(1), "unexpected token")),
            }
        }
    }

    fn push_print(&self, nodes: &mut Vec<Node>, e: Expr) {
        if let (ExprKind::Const(v), Some(ae)) = (&e.kind, self.autoescape) {
            if !v.is_undefined() {
                let s = v.to_py_string();
                let s = if ae && !v.is_safe() {
                    crate::format::escape(&s)
                } else {
                    s
                };
                push_text(nodes, &s, e.pos);
                return;
            }
        }
        nodes.push(Node::Print(e));
    }

    fn statement(&mut self, kw: &str, nodes: &mut Vec<Node>) -> PResult<()> {
        let start = self.idx.saturating_sub(1);
        match kw {
            "if" => {
                let mut arms = Vec::new();
                let mut cond = self.parse_tuple_expr(false)?;
                loop {
                    self.expect_block_end()?;
                    let (body, end) = self.subparse(&["elif", "else", "endif"])?;
                    arms.push((cond, body));
                    match end.as_deref() {
                        Some("elif") => cond = self.parse_tuple_expr(false)?,
                        Some("else") => {
                            self.expect_block_end()?;
                            let (els, _) = self.subparse(&["endif"])?;
                            self.expect_block_end()?;
                            nodes.push(Node::If(arms, els));
                            return Ok(());
                        }
                        _ => {
                            self.expect_block_end()?;
                            nodes.push(Node::If(arms, Vec::new()));
                            return Ok(());
                        }
                    }
                }
            }
            "for" => {
                let pos = self.pos();
                let mut targets = alloc::vec![self.expect_name()?];
                while self.eat_op(",") {
                    if self.is_name("in") {
                        break;
                    }
                    targets.push(self.expect_name()?);
                }
                if !self.eat_name("in") {
                    return Err(self.err("expected 'in'"));
                }
                let iter = self.parse_tuple_expr(true)?;
                let filter = if self.eat_name("if") {
                    Some(self.parse_tuple_expr(false)?)
                } else {
                    None
                };
                if self.is_name("recursive") {
                    return Err(self.err("recursive loops are not supported"));
                }
                self.expect_block_end()?;
                let (body, end) = self.subparse(&["else", "endfor"])?;
                let else_body = if end.as_deref() == Some("else") {
                    self.expect_block_end()?;
                    self.subparse(&["endfor"])?.0
                } else {
                    Vec::new()
                };
                self.expect_block_end()?;
                nodes.push(Node::For(Box::new(ForLoop {
                    targets,
                    iter,
                    filter,
                    body,
                    else_body,
                    pos,
                })));
            }
            "set" => {
                let mut targets = alloc::vec![self.expect_name()?];
                while self.eat_op(",") {
                    targets.push(self.expect_name()?);
                }
                if self.eat_op("=") {
                    let e = self.parse_tuple_expr(false)?;
                    self.expect_block_end()?;
                    nodes.push(Node::Set(targets, e));
                } else {
                    if targets.len() != 1 {
                        return Err(self.err("expected '='"));
                    }
                    if self.is_op("|") {
                        return Err(self.err("filtered block assignment is not supported"));
                    }
                    self.expect_block_end()?;
                    let (body, _) = self.subparse(&["endset"])?;
                    self.expect_block_end()?;
                    nodes.push(Node::SetBlock(targets.remove(0), body));
                }
            }
            "include" => {
                let e = self.parse_expr()?;
                let mut ignore = false;
                if self.eat_name("ignore") {
                    if !self.eat_name("missing") {
                        return Err(self.err("expected 'missing'"));
                    }
                    ignore = true;
                }
                if (self.eat_name("with") || self.eat_name("without")) && !self.eat_name("context")
                {
                    return Err(self.err("expected 'context'"));
                }
                self.expect_block_end()?;
                nodes.push(Node::Include(e, ignore));
            }
            "extends" => {
                let e = self.parse_expr()?;
                self.expect_block_end()?;
                self.has_extends = true;
                nodes.push(Node::Extends(e));
            }
            "block" => {
                let pos = self.pos();
                let name = self.expect_name()?;
                if self.is_name("scoped") || self.is_name("required") {
                    return Err(self.err("scoped/required blocks are not supported"));
                }
                self.expect_block_end()?;
                let (body, _) = self.subparse(&["endblock"])?;
                if let Tok::Name(n) = self.tok() {
                    if **n != *name {
                        return Err(self.err(format!("mismatched endblock for '{name}'")));
                    }
                    self.idx += 1;
                }
                self.expect_block_end()?;
                if self.blocks.contains_key(&name) {
                    return Err(self.err_at(start, format!("block '{name}' defined twice")));
                }
                self.blocks.insert(name.clone(), Rc::new(body));
                nodes.push(Node::Block(name, pos));
            }
            "macro" => {
                let name = self.expect_name()?;
                self.expect_op("(")?;
                let mut params: Vec<(Rc<str>, Option<Expr>)> = Vec::new();
                while !self.eat_op(")") {
                    if !params.is_empty() {
                        self.expect_op(",")?;
                        if self.eat_op(")") {
                            break;
                        }
                    }
                    let p = self.expect_name()?;
                    let default = if self.eat_op("=") {
                        Some(self.parse_expr()?)
                    } else {
                        if params.iter().any(|(_, d)| d.is_some()) {
                            return Err(self.err("non-default argument follows default argument"));
                        }
                        None
                    };
                    params.push((p, default));
                }
                self.expect_block_end()?;
                let (body, _) = self.subparse(&["endmacro"])?;
                if let Tok::Name(_) = self.tok() {
                    self.idx += 1;
                }
                self.expect_block_end()?;
                nodes.push(Node::Macro(Rc::new(MacroDef {
                    name,
                    params,
                    body,
                    template: self.name.clone(),
                })));
            }
            "autoescape" => {
                let e = self.parse_expr()?;
                self.expect_block_end()?;
                let saved = self.autoescape;
                self.autoescape = match &e.kind {
                    ExprKind::Const(v) => Some(v.truthy()),
                    _ => None,
                };
                let (body, _) = self.subparse(&["endautoescape"])?;
                self.autoescape = saved;
                self.expect_block_end()?;
                nodes.push(Node::Autoescape(e, body));
            }
            other => {
                return Err(self.err_at(start, format!("unknown tag '{other}'")));
            }
        }
        Ok(())
    }

    // ---- expressions ----

    fn parse_expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let e = self.parse_condexpr()?;
        self.leave(1);
        Ok(e)
    }

    /// An expression or a bare tuple `a, b` (used by print, set, if, for).
    fn parse_tuple_expr(&mut self, stop_at_if: bool) -> PResult<Expr> {
        let pos = self.pos();
        let first = if stop_at_if {
            self.parse_or_entry()?
        } else {
            self.parse_expr()?
        };
        if !self.is_op(",") {
            return Ok(first);
        }
        let mut items = alloc::vec![first];
        while self.eat_op(",") {
            if matches!(self.tok(), Tok::BlockEnd | Tok::VarEnd) || self.is_name("if") {
                break;
            }
            items.push(if stop_at_if {
                self.parse_or_entry()?
            } else {
                self.parse_expr()?
            });
        }
        Ok(fold(Expr {
            kind: ExprKind::Tuple(items),
            pos,
        }))
    }

    fn parse_or_entry(&mut self) -> PResult<Expr> {
        self.enter()?;
        let e = self.parse_or()?;
        self.leave(1);
        Ok(e)
    }

    fn parse_condexpr(&mut self) -> PResult<Expr> {
        let mut e = self.parse_or()?;
        let mut n = 0;
        while self.is_name("if") {
            let pos = self.pos();
            self.idx += 1;
            self.enter()?;
            n += 1;
            let cond = self.parse_or()?;
            let other = if self.eat_name("else") {
                Some(bx(self.parse_condexpr()?))
            } else {
                None
            };
            e = fold(Expr {
                kind: ExprKind::Cond(bx(e), bx(cond), other),
                pos,
            });
        }
        self.leave(n);
        Ok(e)
    }

    fn parse_or(&mut self) -> PResult<Expr> {
        let mut e = self.parse_and()?;
        let mut n = 0;
        while self.is_name("or") {
            let pos = self.pos();
            self.idx += 1;
            self.enter()?;
            n += 1;
            let r = self.parse_and()?;
            e = fold(Expr {
                kind: ExprKind::Or(bx(e), bx(r)),
                pos,
            });
        }
        self.leave(n);
        Ok(e)
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        let mut e = self.parse_not()?;
        let mut n = 0;
        while self.is_name("and") {
            let pos = self.pos();
            self.idx += 1;
            self.enter()?;
            n += 1;
            let r = self.parse_not()?;
            e = fold(Expr {
                kind: ExprKind::And(bx(e), bx(r)),
                pos,
            });
        }
        self.leave(n);
        Ok(e)
    }

    fn parse_not(&mut self) -> PResult<Expr> {
        if self.is_name("not") {
            let pos = self.pos();
            self.idx += 1;
            self.enter()?;
            let e = self.parse_not()?;
            self.leave(1);
            return Ok(fold(Expr {
                kind: ExprKind::Not(bx(e)),
                pos,
            }));
        }
        self.parse_compare()
    }

    fn parse_compare(&mut self) -> PResult<Expr> {
        let pos = self.pos();
        let e = self.parse_math1()?;
        let mut ops = Vec::new();
        loop {
            let op = match self.tok() {
                Tok::Op("==") => CmpOp::Eq,
                Tok::Op("!=") => CmpOp::Ne,
                Tok::Op("<") => CmpOp::Lt,
                Tok::Op("<=") => CmpOp::Le,
                Tok::Op(">") => CmpOp::Gt,
                Tok::Op(">=") => CmpOp::Ge,
                Tok::Name(n) if n == "in" => CmpOp::In,
                Tok::Name(n)
                    if n == "not" && matches!(self.peek_tok(1), Tok::Name(m) if m == "in") =>
                {
                    self.idx += 1;
                    CmpOp::NotIn
                }
                _ => break,
            };
            self.idx += 1;
            ops.push((op, self.parse_math1()?));
        }
        if ops.is_empty() {
            return Ok(e);
        }
        Ok(fold(Expr {
            kind: ExprKind::Compare(bx(e), ops),
            pos,
        }))
    }

    fn parse_math1(&mut self) -> PResult<Expr> {
        let mut e = self.parse_concat()?;
        let mut n = 0;
        loop {
            let op = match self.tok() {
                Tok::Op("+") => BinOp::Add,
                Tok::Op("-") => BinOp::Sub,
                _ => break,
            };
            let pos = self.pos();
            self.idx += 1;
            self.enter()?;
            n += 1;
            let r = self.parse_concat()?;
            e = fold(Expr {
                kind: ExprKind::Bin(op, bx(e), bx(r)),
                pos,
            });
        }
        self.leave(n);
        Ok(e)
    }

    fn parse_concat(&mut self) -> PResult<Expr> {
        let pos = self.pos();
        let e = self.parse_math2()?;
        if !self.is_op("~") {
            return Ok(e);
        }
        let mut parts = alloc::vec![e];
        while self.eat_op("~") {
            parts.push(self.parse_math2()?);
        }
        Ok(fold(Expr {
            kind: ExprKind::Concat(parts),
            pos,
        }))
    }

    fn parse_math2(&mut self) -> PResult<Expr> {
        let mut e = self.parse_pow()?;
        let mut n = 0;
        loop {
            let op = match self.tok() {
                Tok::Op("*") => BinOp::Mul,
                Tok::Op("/") => BinOp::Div,
                Tok::Op("//") => BinOp::FloorDiv,
                Tok::Op("%") => BinOp::Mod,
                _ => break,
            };
            let pos = self.pos();
            self.idx += 1;
            self.enter()?;
            n += 1;
            let r = self.parse_pow()?;
            e = fold(Expr {
                kind: ExprKind::Bin(op, bx(e), bx(r)),
                pos,
            });
        }
        self.leave(n);
        Ok(e)
    }

    fn parse_pow(&mut self) -> PResult<Expr> {
        let mut e = self.parse_unary(true)?;
        let mut n = 0;
        while self.is_op("**") {
            let pos = self.pos();
            self.idx += 1;
            self.enter()?;
            n += 1;
            let r = self.parse_unary(true)?;
            e = fold(Expr {
                kind: ExprKind::Bin(BinOp::Pow, bx(e), bx(r)),
                pos,
            });
        }
        self.leave(n);
        Ok(e)
    }

    fn parse_unary(&mut self, with_filter: bool) -> PResult<Expr> {
        let pos = self.pos();
        let mut e = if self.eat_op("-") {
            self.enter()?;
            let inner = self.parse_unary(false)?;
            self.leave(1);
            fold(Expr {
                kind: ExprKind::Neg(bx(inner)),
                pos,
            })
        } else if self.eat_op("+") {
            self.enter()?;
            let inner = self.parse_unary(false)?;
            self.leave(1);
            fold(Expr {
                kind: ExprKind::Plus(bx(inner)),
                pos,
            })
        } else {
            self.parse_primary()?
        };
        let mut n = 0;
        e = self.parse_postfix(e, &mut n)?;
        if with_filter {
            e = self.parse_filter_expr(e, &mut n)?;
        }
        self.leave(n);
        Ok(e)
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let pos = self.pos();
        let kind = match self.bump() {
            Tok::Name(n) => match n.as_str() {
                "true" | "True" => ExprKind::Const(Value::from(true)),
                "false" | "False" => ExprKind::Const(Value::from(false)),
                "none" | "None" => ExprKind::Const(Value::NONE),
                _ => ExprKind::Var(Rc::from(n)),
            },
            Tok::Str(mut s) => {
                while let Tok::Str(more) = self.tok() {
                    s.push_str(more);
                    self.idx += 1;
                }
                ExprKind::Const(Value::string(s))
            }
            Tok::Int(i) => ExprKind::Const(Value::from(i)),
            Tok::Float(f) => ExprKind::Const(Value::from(f)),
            Tok::Op("(") => {
                if self.eat_op(")") {
                    ExprKind::Const(Value::tuple(Vec::new()))
                } else {
                    let first = self.parse_expr()?;
                    if self.eat_op(")") {
                        return Ok(first);
                    }
                    let mut items = alloc::vec![first];
                    while self.eat_op(",") {
                        if self.is_op(")") {
                            break;
                        }
                        items.push(self.parse_expr()?);
                    }
                    self.expect_op(")")?;
                    return Ok(fold(Expr {
                        kind: ExprKind::Tuple(items),
                        pos,
                    }));
                }
            }
            Tok::Op("[") => {
                let mut items = Vec::new();
                while !self.eat_op("]") {
                    if !items.is_empty() {
                        self.expect_op(",")?;
                        if self.eat_op("]") {
                            break;
                        }
                    }
                    items.push(self.parse_expr()?);
                }
                return Ok(fold(Expr {
                    kind: ExprKind::List(items),
                    pos,
                }));
            }
            Tok::Op("{") => {
                let mut items = Vec::new();
                while !self.eat_op("}") {
                    if !items.is_empty() {
                        self.expect_op(",")?;
                        if self.eat_op("}") {
                            break;
                        }
                    }
                    let k = self.parse_expr()?;
                    self.expect_op(":")?;
                    let v = self.parse_expr()?;
                    items.push((k, v));
                }
                return Ok(fold(Expr {
                    kind: ExprKind::Dict(items),
                    pos,
                }));
            }
            _ => {
                self.idx = self.idx.saturating_sub(1);
                return Err(self.err("unexpected token in expression"));
            }
        };
        Ok(Expr { kind, pos })
    }

    fn parse_postfix(&mut self, mut e: Expr, n: &mut usize) -> PResult<Expr> {
        loop {
            let pos = self.pos();
            if self.eat_op(".") {
                self.enter()?;
                *n += 1;
                match self.bump() {
                    Tok::Name(name) => {
                        e = Expr {
                            kind: ExprKind::Attr(bx(e), Rc::from(name)),
                            pos,
                        }
                    }
                    Tok::Int(i) => {
                        e = Expr {
                            kind: ExprKind::Item(
                                bx(e),
                                bx(Expr {
                                    kind: ExprKind::Const(Value::from(i)),
                                    pos,
                                }),
                            ),
                            pos,
                        }
                    }
                    _ => {
                        self.idx = self.idx.saturating_sub(1);
                        return Err(self.err("expected attribute name"));
                    }
                }
            } else if self.eat_op("[") {
                self.enter()?;
                *n += 1;
                if self.is_op(":") {
                    return Err(self.err("slices are not supported"));
                }
                let idx = self.parse_expr()?;
                if self.is_op(":") {
                    return Err(self.err("slices are not supported"));
                }
                self.expect_op("]")?;
                e = Expr {
                    kind: ExprKind::Item(bx(e), bx(idx)),
                    pos,
                };
            } else if self.is_op("(") {
                self.enter()?;
                *n += 1;
                e = self.parse_call(e)?;
            } else {
                return Ok(e);
            }
        }
    }

    fn parse_call_args(&mut self) -> PResult<(Vec<Expr>, KwArgs)> {
        self.expect_op("(")?;
        let mut args = Vec::new();
        let mut kwargs: Vec<(Rc<str>, Expr)> = Vec::new();
        let mut first = true;
        while !self.eat_op(")") {
            if !first {
                self.expect_op(",")?;
                if self.eat_op(")") {
                    break;
                }
            }
            first = false;
            if let (Tok::Name(k), Tok::Op("=")) = (self.tok(), self.peek_tok(1)) {
                let k: Rc<str> = Rc::from(k.as_str());
                self.idx += 2;
                let v = self.parse_expr()?;
                kwargs.push((k, v));
            } else {
                if !kwargs.is_empty() {
                    return Err(self.err("positional argument follows keyword argument"));
                }
                args.push(self.parse_expr()?);
            }
        }
        Ok((args, kwargs))
    }

    fn parse_call(&mut self, callee: Expr) -> PResult<Expr> {
        let pos = self.pos();
        let (args, kwargs) = self.parse_call_args()?;
        if let ExprKind::Var(n) = &callee.kind {
            if &**n == "super" {
                if !args.is_empty() || !kwargs.is_empty() {
                    return Err(self.err("super() takes no arguments"));
                }
                return Ok(Expr {
                    kind: ExprKind::Super,
                    pos,
                });
            }
        }
        Ok(Expr {
            kind: ExprKind::Call(bx(callee), args, kwargs),
            pos,
        })
    }

    fn parse_filter_expr(&mut self, mut e: Expr, n: &mut usize) -> PResult<Expr> {
        loop {
            let pos = self.pos();
            if self.eat_op("|") {
                self.enter()?;
                *n += 1;
                let name = self.expect_name()?;
                let Some(f) = Filter::from_name(&name) else {
                    self.idx = self.idx.saturating_sub(1);
                    return Err(self.err(format!("no filter named '{name}'")));
                };
                let (args, kwargs) = if self.is_op("(") {
                    self.parse_call_args()?
                } else {
                    (Vec::new(), Vec::new())
                };
                e = fold(Expr {
                    kind: ExprKind::Filter(bx(e), f, args, kwargs),
                    pos,
                });
            } else if self.is_name("is") {
                self.idx += 1;
                self.enter()?;
                *n += 1;
                let negated = self.eat_name("not");
                let name: Rc<str> = match self.bump() {
                    Tok::Name(x) => Rc::from(x),
                    Tok::Op(op @ ("==" | "!=" | "<" | ">" | "<=" | ">=")) => Rc::from(op),
                    _ => {
                        self.idx = self.idx.saturating_sub(1);
                        return Err(self.err("expected a test name"));
                    }
                };
                let Some(t) = Test::from_name(&name) else {
                    self.idx = self.idx.saturating_sub(1);
                    return Err(self.err(format!("no test named '{name}'")));
                };
                let args = if self.is_op("(") {
                    let (args, kwargs) = self.parse_call_args()?;
                    if !kwargs.is_empty() {
                        return Err(self.err("tests take no keyword arguments"));
                    }
                    args
                } else if matches!(
                    self.tok(),
                    Tok::Name(_)
                        | Tok::Str(_)
                        | Tok::Int(_)
                        | Tok::Float(_)
                        | Tok::Op("(" | "[" | "{")
                ) && !(self.is_name("else") || self.is_name("or") || self.is_name("and"))
                {
                    if self.is_name("is") {
                        return Err(self.err("you cannot chain multiple tests with is"));
                    }
                    let a = self.parse_primary()?;
                    let mut m = 0;
                    let a = self.parse_postfix(a, &mut m)?;
                    self.leave(m);
                    alloc::vec![a]
                } else {
                    Vec::new()
                };
                e = Expr {
                    kind: ExprKind::Test(bx(e), t, args, negated),
                    pos,
                };
            } else if self.is_op("(") {
                self.enter()?;
                *n += 1;
                e = self.parse_call(e)?;
            } else {
                return Ok(e);
            }
        }
    }
}

fn push_text(nodes: &mut Vec<Node>, t: &str, pos: Pos) {
    if t.is_empty() {
        return;
    }
    if let Some(Node::Text(prev, _)) = nodes.last_mut() {
        let mut s = String::with_capacity(prev.len() + t.len());
        s.push_str(prev);
        s.push_str(t);
        *prev = s.into_boxed_str();
    } else {
        nodes.push(Node::Text(Box::from(t), pos));
    }
}

fn as_const(e: &Expr) -> Option<&Value> {
    match &e.kind {
        ExprKind::Const(v) if !v.is_undefined() && !v.is_safe() => Some(v),
        _ => None,
    }
}

/// Largest string (bytes) or list (items) an operator may fold into a constant. `'ab' * 3`
/// folds; `'a' * 100000` is left to render time, where max_output_bytes applies, so a
/// short source cannot compile into a huge program.
const FOLD_MAX: usize = 256;

/// Folds operations on constants whose result cannot depend on the render context.
fn fold(e: Expr) -> Expr {
    let pos = e.pos;
    let folded = match &e.kind {
        ExprKind::Bin(op, a, b) => match (as_const(a), as_const(b)) {
            (Some(x), Some(y)) => crate::render::binop(*op, x, y, FOLD_MAX).ok(),
            _ => None,
        },
        ExprKind::Not(a) => as_const(a).map(|v| Value::from(!v.truthy())),
        ExprKind::Neg(a) => as_const(a).and_then(|v| crate::render::neg(v).ok()),
        ExprKind::List(items) => items
            .iter()
            .map(|i| as_const(i).cloned())
            .collect::<Option<Vec<_>>>()
            .map(Value::from_vec),
        ExprKind::Tuple(items) => items
            .iter()
            .map(|i| as_const(i).cloned())
            .collect::<Option<Vec<_>>>()
            .map(Value::tuple),
        // Like Jinja2, a concatenation of constants folds to a plain string, even when a
        // part is markup (`'<' ~ ('<'|safe)` prints `&lt;&lt;` with autoescape).
        ExprKind::Concat(parts) => parts
            .iter()
            .all(|p| {
                matches!(&p.kind, ExprKind::Const(v)
                    if matches!(v.0, Repr::Str(_) | Repr::Safe(_) | Repr::Int(_)))
            })
            .then(|| {
                let mut s = String::new();
                for p in parts {
                    if let ExprKind::Const(v) = &p.kind {
                        let _ = v.write_str(&mut s);
                    }
                }
                Value::string(s)
            }),
        // `'<b>'|safe` and `'<'|e` on a literal are constants (markup), as in Jinja2.
        ExprKind::Filter(inner, f @ (Filter::Safe | Filter::Escape), args, kwargs)
            if args.is_empty() && kwargs.is_empty() =>
        {
            match &inner.kind {
                ExprKind::Const(v) if v.is_safe() => Some(v.clone()),
                ExprKind::Const(v) if v.as_str().is_some() => {
                    let s = v.as_str().unwrap_or_default();
                    Some(Value::safe_string(if *f == Filter::Escape {
                        crate::format::escape(s)
                    } else {
                        String::from(s)
                    }))
                }
                _ => None,
            }
        }
        _ => None,
    };
    match folded {
        Some(v) => Expr {
            kind: ExprKind::Const(v),
            pos,
        },
        None => e,
    }
}
