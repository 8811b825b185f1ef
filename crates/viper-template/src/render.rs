//! The interpreter: walks a compiled program and streams output into a writer.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;
use core::fmt::{self, Write};

use crate::ast::*;
use crate::error::{Error, ErrorKind};
use crate::filters;
use crate::format::{write_escaped, Capped, Escaper};
use crate::value::{key_eq, Num, Repr, Value};
use crate::Config;

/// State of the innermost `for` loop, exposed to templates as `loop`.
#[derive(Debug)]
pub(crate) struct LoopState {
    pub(crate) index0: Cell<usize>,
    pub(crate) len: usize,
}

/// Something that hands out compiled programs by name (the environment).
pub(crate) trait Fetch {
    fn fetch(&self, name: &str) -> Result<Rc<Program>, Error>;
}

type Frame = Vec<(Rc<str>, Value)>;

/// The bodies of one block name from the child template up through its layouts, each
/// with the name of the template that defines it (`super()` walks up this list).
type BlockChain = Vec<(Rc<str>, Rc<Vec<Node>>)>;
type R<T> = Result<T, Error>;

pub(crate) fn type_err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Type, msg)
}

pub(crate) fn value_err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Value, msg)
}

pub(crate) fn limit_err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::LimitExceeded, msg)
}

/// The error for a string value that would pass `max_output_bytes`.
pub(crate) fn str_limit_err() -> Error {
    limit_err("string exceeds max_output_bytes")
}

/// Appends `str(v)` to `out`, HTML-escaped if `escape`, failing with
/// [`str_limit_err`] rather than let `out` pass `max` bytes.
pub(crate) fn write_capped(v: &Value, out: &mut String, max: usize, escape: bool) -> R<()> {
    let mut w = Capped { s: out, max };
    let r = if escape {
        v.write_str(&mut Escaper(&mut w))
    } else {
        v.write_str(&mut w)
    };
    r.map_err(|_| str_limit_err())
}

struct Out<'w> {
    sink: &'w mut dyn Write,
    captures: Vec<String>,
    written: usize,
    limit: usize,
    limit_hit: bool,
}

impl Write for Out<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(buf) = self.captures.last_mut() {
            if buf.len().saturating_add(s.len()) > self.limit {
                self.limit_hit = true;
                return Err(fmt::Error);
            }
            buf.push_str(s);
            Ok(())
        } else {
            self.written = self.written.saturating_add(s.len());
            if self.written > self.limit {
                self.limit_hit = true;
                return Err(fmt::Error);
            }
            self.sink.write_str(s)
        }
    }
}

pub(crate) struct Renderer<'a, 'w> {
    cfg: &'a Config,
    fetch: &'a dyn Fetch,
    ctx: &'a Value,
    frames: Vec<Frame>,
    floor: usize,
    loop_floor: usize,
    out: Out<'w>,
    pub(crate) autoescape: bool,
    depth: usize,
    iterations: usize,
    blocks: BTreeMap<Rc<str>, BlockChain>,
    block_stack: Vec<(Rc<str>, usize)>,
    cur: Rc<str>,
    /// Items comparisons may still visit in this render (see [`work_err`]).
    pub(crate) work: usize,
    /// Current interpreter recursion (see `enter_stack`).
    stack: usize,
}

impl<'a, 'w> Renderer<'a, 'w> {
    pub(crate) fn new(
        cfg: &'a Config,
        fetch: &'a dyn Fetch,
        ctx: &'a Value,
        sink: &'w mut dyn Write,
    ) -> Self {
        Renderer {
            cfg,
            fetch,
            ctx,
            frames: alloc::vec![Vec::new()],
            floor: 0,
            loop_floor: 0,
            out: Out {
                sink,
                captures: Vec::new(),
                written: 0,
                limit: cfg.max_output_bytes,
                limit_hit: false,
            },
            autoescape: cfg.autoescape,
            depth: 0,
            iterations: 0,
            blocks: BTreeMap::new(),
            block_stack: Vec::new(),
            cur: Rc::from(""),
            work: cfg.max_output_bytes.saturating_mul(4),
            stack: 0,
        }
    }

    pub(crate) fn strict(&self) -> bool {
        self.cfg.strict_undefined
    }

    /// Python `==` within the render's comparison budget.
    pub(crate) fn eq(&mut self, a: &Value, b: &Value) -> R<bool> {
        a.eq_within(b, &mut self.work).ok_or_else(work_err)
    }

    /// Python ordering within the render's comparison budget.
    pub(crate) fn cmp(&mut self, a: &Value, b: &Value) -> R<Option<core::cmp::Ordering>> {
        a.cmp_within(b, &mut self.work).map_err(|()| work_err())
    }

    pub(crate) fn max_len(&self) -> usize {
        self.cfg.max_output_bytes
    }

    fn write_err(&mut self) -> Error {
        if self.out.limit_hit {
            limit_err(format!(
                "output exceeds max_output_bytes ({})",
                self.cfg.max_output_bytes
            ))
        } else {
            Error::new(ErrorKind::Write, "the output writer failed")
        }
    }

    fn write(&mut self, s: &str) -> R<()> {
        self.out.write_str(s).map_err(|_| self.write_err())
    }

    fn locate(&self, e: Error, pos: Pos) -> Error {
        if e.has_pos() {
            e
        } else {
            e.at(&self.cur, pos.line, pos.col)
        }
    }

    /// Renders a top-level template.
    pub(crate) fn render_root(&mut self, prog: Rc<Program>) -> R<()> {
        for (name, body) in &prog.blocks {
            self.blocks
                .entry(name.clone())
                .or_default()
                .push((prog.name.clone(), body.clone()));
        }
        self.exec_template(prog)
    }

    fn exec_template(&mut self, prog: Rc<Program>) -> R<()> {
        let saved = core::mem::replace(&mut self.cur, prog.name.clone());
        let r = self.exec_template_inner(&prog);
        self.cur = saved;
        r
    }

    fn exec_template_inner(&mut self, prog: &Rc<Program>) -> R<()> {
        if !prog.has_extends {
            return self.render_nodes(&prog.nodes);
        }
        let mut parent: Option<(Rc<Program>, Pos)> = None;
        for node in &prog.nodes {
            if parent.is_some() {
                // After `extends` only assignments and macro definitions take effect.
                if matches!(node, Node::Set(..) | Node::Macro(_) | Node::Extends(_)) {
                    if let Node::Extends(e) = node {
                        return Err(self.locate(
                            Error::new(ErrorKind::Syntax, "extended multiple times"),
                            e.pos,
                        ));
                    }
                    self.render_node(node)?;
                }
                continue;
            }
            if let Node::Extends(e) = node {
                let p = self.load(e)?;
                for (name, body) in &p.blocks {
                    self.blocks
                        .entry(name.clone())
                        .or_default()
                        .push((p.name.clone(), body.clone()));
                }
                parent = Some((p, e.pos));
            } else {
                self.render_node(node)?;
            }
        }
        if let Some((p, pos)) = parent {
            self.enter_depth().map_err(|e| self.locate(e, pos))?;
            let r = self.exec_template(p);
            self.depth -= 1;
            r?;
        }
        Ok(())
    }

    fn enter_depth(&mut self) -> R<()> {
        if self.depth >= self.cfg.max_depth {
            return Err(limit_err(format!(
                "include/extends/macro depth exceeds max_depth ({})",
                self.cfg.max_depth
            )));
        }
        self.depth += 1;
        Ok(())
    }

    fn load(&mut self, e: &Expr) -> R<Rc<Program>> {
        let v = self.eval(e)?;
        let names: Vec<Value> = match &v.0 {
            Repr::Str(_) | Repr::Safe(_) => alloc::vec![v.clone()],
            Repr::List(l) | Repr::Tuple(l) => l.to_vec(),
            _ => {
                return Err(self.locate(
                    type_err(format!(
                        "template name must be a string, not {}",
                        v.type_name()
                    )),
                    e.pos,
                ))
            }
        };
        let mut last = None;
        for n in &names {
            let Some(name) = n.as_str() else {
                return Err(self.locate(type_err("template name must be a string"), e.pos));
            };
            match self.fetch.fetch(name) {
                Ok(p) => return Ok(p),
                Err(err) if err.kind() == ErrorKind::TemplateNotFound => last = Some(err),
                Err(err) => return Err(err),
            }
        }
        Err(self.locate(
            last.unwrap_or_else(|| {
                Error::new(ErrorKind::TemplateNotFound, "no template names given")
            }),
            e.pos,
        ))
    }

    pub(crate) fn render_nodes(&mut self, nodes: &[Node]) -> R<()> {
        if nodes.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.enter_stack() {
            // Point at the body that could not be entered (the current template).
            let pos = nodes
                .iter()
                .find_map(node_pos)
                .unwrap_or(Pos { line: 1, col: 1 });
            return Err(self.locate(e, pos));
        }
        let r = nodes.iter().try_for_each(|n| self.render_node(n));
        self.stack -= 1;
        r
    }

    /// Counts one level of interpreter recursion (a statement body or an expression);
    /// nesting within one template is bounded by the parser, but includes, blocks and
    /// macro calls stack templates on top of each other.
    fn enter_stack(&mut self) -> R<()> {
        if self.stack >= self.cfg.max_recursion {
            return Err(limit_err(format!(
                "render recursion exceeds max_recursion ({})",
                self.cfg.max_recursion
            )));
        }
        self.stack += 1;
        Ok(())
    }

    fn render_node(&mut self, node: &Node) -> R<()> {
        match node {
            Node::Text(t, pos) => self.write(t).map_err(|e| self.locate(e, *pos)),
            Node::Print(e) => {
                let v = self.eval(e)?;
                self.print(&v).map_err(|err| self.locate(err, e.pos))
            }
            Node::If(arms, els) => {
                for (cond, body) in arms {
                    let v = self.eval(cond)?;
                    if self.truthy(&v).map_err(|err| self.locate(err, cond.pos))? {
                        return self.render_nodes(body);
                    }
                }
                self.render_nodes(els)
            }
            Node::For(f) => self.render_for(f),
            Node::Set(targets, e) => {
                let v = self.eval(e)?;
                if targets.len() == 1 {
                    self.assign(targets[0].clone(), v);
                } else {
                    let items = self
                        .unpack(&v, targets.len())
                        .map_err(|err| self.locate(err, e.pos))?;
                    for (t, v) in targets.iter().zip(items) {
                        self.assign(t.clone(), v);
                    }
                }
                Ok(())
            }
            Node::SetBlock(name, body) => {
                let s = self.capture(|r| r.render_nodes(body))?;
                let v = if self.autoescape {
                    Value::safe_string(s)
                } else {
                    Value::string(s)
                };
                self.assign(name.clone(), v);
                Ok(())
            }
            Node::Include(e, ignore_missing) => {
                let prog = match self.load(e) {
                    Ok(p) => p,
                    Err(err) if *ignore_missing && err.kind() == ErrorKind::TemplateNotFound => {
                        return Ok(())
                    }
                    Err(err) => return Err(err),
                };
                self.enter_depth().map_err(|err| self.locate(err, e.pos))?;
                let saved_blocks = core::mem::take(&mut self.blocks);
                let saved_stack = core::mem::take(&mut self.block_stack);
                self.frames.push(Vec::new());
                let saved_loop_floor =
                    core::mem::replace(&mut self.loop_floor, self.frames.len() - 1);
                let r = self.render_root(prog);
                self.loop_floor = saved_loop_floor;
                self.frames.pop();
                self.blocks = saved_blocks;
                self.block_stack = saved_stack;
                self.depth -= 1;
                r
            }
            Node::Extends(e) => Err(self.locate(
                Error::new(ErrorKind::Syntax, "extends must be at the top level"),
                e.pos,
            )),
            Node::Block(name, pos) => self.render_block(name, 0, *pos),
            Node::Macro(def) => {
                self.assign(def.name.clone(), Value(Repr::Macro(def.clone())));
                Ok(())
            }
            Node::Autoescape(e, body) => {
                let v = self.eval(e)?;
                let on = self.truthy(&v).map_err(|err| self.locate(err, e.pos))?;
                let saved = core::mem::replace(&mut self.autoescape, on);
                let r = self.render_nodes(body);
                self.autoescape = saved;
                r
            }
        }
    }

    fn render_block(&mut self, name: &Rc<str>, level: usize, pos: Pos) -> R<()> {
        let Some((tname, body)) = self.blocks.get(name).and_then(|c| c.get(level)).cloned() else {
            return Err(self.locate(
                Error::new(ErrorKind::Syntax, format!("no parent block for '{name}'")),
                pos,
            ));
        };
        self.enter_depth().map_err(|e| self.locate(e, pos))?;
        let saved_cur = core::mem::replace(&mut self.cur, tname);
        let saved_floor = self.floor;
        self.frames.push(Vec::new());
        self.floor = self.frames.len() - 1;
        self.block_stack.push((name.clone(), level));
        let r = self.render_nodes(&body);
        self.block_stack.pop();
        self.frames.pop();
        self.floor = saved_floor;
        self.cur = saved_cur;
        self.depth -= 1;
        r
    }

    fn capture(&mut self, f: impl FnOnce(&mut Self) -> R<()>) -> R<String> {
        self.out.captures.push(String::new());
        let r = f(self);
        let s = self.out.captures.pop().unwrap_or_default();
        r.map(|_| s)
    }

    fn assign(&mut self, name: Rc<str>, v: Value) {
        if let Some(frame) = self.frames.last_mut() {
            if let Some(slot) = frame.iter_mut().find(|(k, _)| key_eq(k, &name)) {
                slot.1 = v;
            } else {
                frame.push((name, v));
            }
        }
    }

    fn lookup(&self, name: &str) -> Option<Value> {
        let visible = self.frames.get(self.floor..).unwrap_or(&[]);
        let is_loop = name == "loop";
        for (i, f) in visible.iter().enumerate().rev() {
            if is_loop && self.floor + i < self.loop_floor {
                break;
            }
            if let Some((_, v)) = f.iter().rev().find(|(k, _)| key_eq(k, name)) {
                return Some(v.clone());
            }
        }
        if self.floor > 0 {
            if let Some(f) = self.frames.first() {
                if let Some((_, v)) = f.iter().rev().find(|(k, _)| key_eq(k, name)) {
                    return Some(v.clone());
                }
            }
        }
        self.ctx.as_map().and_then(|m| m.get(name)).cloned()
    }

    fn print(&mut self, v: &Value) -> R<()> {
        let r = match &v.0 {
            Repr::Undefined | Repr::UndefinedNamed(_) => {
                self.check(v)?;
                Ok(())
            }
            Repr::Str(s) if self.autoescape => write_escaped(s, &mut self.out),
            Repr::Str(s) | Repr::Safe(s) => self.out.write_str(s),
            Repr::Int(i) => write!(self.out, "{i}"),
            Repr::Float(f) => crate::format::write_float(*f, &mut self.out),
            Repr::None | Repr::Bool(_) => v.write_str(&mut self.out),
            // Streamed through the escaper: no intermediate string, and the output limit
            // stops values that unfold to more than max_output_bytes.
            _ if self.autoescape => v.write_str(&mut Escaper(&mut self.out)),
            _ => v.write_str(&mut self.out),
        };
        r.map_err(|_| self.write_err())
    }

    /// Errors on an undefined value in strict mode; passes anything else through.
    pub(crate) fn check(&self, v: &Value) -> R<()> {
        if self.strict() && !matches!(v.0, Repr::Undefined) {
            undefined_check(v)
        } else {
            Ok(())
        }
    }

    pub(crate) fn truthy(&self, v: &Value) -> R<bool> {
        self.check(v)?;
        Ok(v.truthy())
    }

    fn unpack(&self, v: &Value, n: usize) -> R<Vec<Value>> {
        self.check(v)?;
        let items = self.iterate(v)?;
        if items.len() != n {
            return Err(value_err(format!(
                "cannot unpack {} values into {} targets",
                items.len(),
                n
            )));
        }
        Ok(items.to_vec())
    }

    /// The items a `for` loop visits.
    pub(crate) fn iterate(&self, v: &Value) -> R<Rc<Vec<Value>>> {
        self.check(v)?;
        Ok(match &v.0 {
            Repr::List(l) | Repr::Tuple(l) => l.clone(),
            Repr::Map(m) => Rc::new(
                m.entries
                    .iter()
                    .map(|(k, _)| Value::from(k.clone()))
                    .collect(),
            ),
            Repr::Str(s) | Repr::Safe(s) => {
                // Iterating a Markup string yields plain `str` characters in Python.
                Rc::new(
                    s.chars()
                        .map(|c| {
                            let mut b = [0u8; 4];
                            Value::str(c.encode_utf8(&mut b))
                        })
                        .collect(),
                )
            }
            Repr::Undefined | Repr::UndefinedNamed(_) => Rc::new(Vec::new()),
            _ => {
                return Err(type_err(format!(
                    "'{}' object is not iterable",
                    v.type_name()
                )))
            }
        })
    }

    fn count_iteration(&mut self) -> R<()> {
        self.iterations += 1;
        if self.iterations > self.cfg.max_loop_iterations {
            return Err(limit_err(format!(
                "loop iterations exceed max_loop_iterations ({})",
                self.cfg.max_loop_iterations
            )));
        }
        Ok(())
    }

    fn bind_targets(&mut self, f: &ForLoop, item: &Value) -> R<()> {
        let frame_idx = self.frames.len() - 1;
        if f.targets.len() == 1 {
            if let Some(slot) = self.frames[frame_idx].get_mut(0) {
                slot.1 = item.clone();
            }
        } else {
            let items = self.unpack(item, f.targets.len())?;
            for (i, v) in items.into_iter().enumerate() {
                if let Some(slot) = self.frames[frame_idx].get_mut(i) {
                    slot.1 = v;
                }
            }
        }
        Ok(())
    }

    fn render_for(&mut self, f: &ForLoop) -> R<()> {
        let iterable = self.eval(&f.iter)?;
        let mut items = self
            .iterate(&iterable)
            .map_err(|e| self.locate(e, f.iter.pos))?;
        let mut frame: Frame = f
            .targets
            .iter()
            .map(|t| (t.clone(), Value::UNDEFINED))
            .collect();
        let state = Rc::new(LoopState {
            index0: Cell::new(0),
            len: 0,
        });
        frame.push((Rc::from("loop"), Value::UNDEFINED));
        self.frames.push(frame);
        let r = (|| {
            if let Some(cond) = &f.filter {
                let mut kept = Vec::new();
                for item in items.iter() {
                    self.count_iteration().map_err(|e| self.locate(e, f.pos))?;
                    self.bind_targets(f, item)
                        .map_err(|e| self.locate(e, f.pos))?;
                    let c = self.eval(cond)?;
                    if self.truthy(&c).map_err(|e| self.locate(e, cond.pos))? {
                        kept.push(item.clone());
                    }
                }
                items = Rc::new(kept);
            }
            let state = Rc::new(LoopState {
                index0: Cell::new(0),
                len: items.len(),
            });
            if let Some(slot) = self.frames.last_mut().and_then(|fr| fr.last_mut()) {
                slot.1 = Value(Repr::Loop(state.clone()));
            }
            for (i, item) in items.iter().enumerate() {
                self.count_iteration().map_err(|e| self.locate(e, f.pos))?;
                state.index0.set(i);
                self.bind_targets(f, item)
                    .map_err(|e| self.locate(e, f.pos))?;
                self.render_nodes(&f.body)?;
            }
            Ok(())
        })();
        drop(state);
        self.frames.pop();
        r?;
        if items.is_empty() {
            self.render_nodes(&f.else_body)?;
        }
        Ok(())
    }

    // ---- expressions ----

    pub(crate) fn eval(&mut self, e: &Expr) -> R<Value> {
        self.enter_stack().map_err(|err| self.locate(err, e.pos))?;
        let r = self.eval_inner(e).map_err(|err| self.locate(err, e.pos));
        self.stack -= 1;
        r
    }

    fn eval_inner(&mut self, e: &Expr) -> R<Value> {
        Ok(match &e.kind {
            ExprKind::Const(v) => v.clone(),
            ExprKind::Var(name) => match self.lookup(name) {
                Some(v) => v,
                None => undefined(format!("'{name}' is undefined")),
            },
            ExprKind::Attr(obj, name) => {
                let o = self.eval(obj)?;
                get_attr(&o, name)?
            }
            ExprKind::Item(obj, key) => {
                let o = self.eval(obj)?;
                let k = self.eval(key)?;
                self.check(&k)?;
                get_item(&o, &k)?
            }
            ExprKind::List(items) => self.eval_list(items)?,
            ExprKind::Tuple(items) => self.eval_tuple(items)?,
            ExprKind::Dict(items) => self.eval_dict(items)?,
            ExprKind::Neg(a) => {
                let v = self.eval(a)?;
                undefined_check(&v)?;
                neg(&v)?
            }
            ExprKind::Plus(a) => self.eval_plus(a)?,
            ExprKind::Not(a) => {
                let v = self.eval(a)?;
                Value::from(!self.truthy(&v)?)
            }
            ExprKind::Bin(op, a, b) => {
                let x = self.eval(a)?;
                let y = self.eval(b)?;
                undefined_check(&x)?;
                undefined_check(&y)?;
                binop(*op, &x, &y, self.max_len())?
            }
            ExprKind::Concat(parts) => self.eval_concat(parts)?,
            ExprKind::And(a, b) => {
                let x = self.eval(a)?;
                if !self.truthy(&x)? {
                    x
                } else {
                    self.eval(b)?
                }
            }
            ExprKind::Or(a, b) => {
                let x = self.eval(a)?;
                if self.truthy(&x)? {
                    x
                } else {
                    self.eval(b)?
                }
            }
            ExprKind::Compare(first, ops) => self.eval_compare(first, ops)?,
            ExprKind::Cond(then, cond, other) => {
                let c = self.eval(cond)?;
                if self.truthy(&c)? {
                    self.eval(then)?
                } else if let Some(o) = other {
                    self.eval(o)?
                } else {
                    // Jinja2 yields its plain (lenient) Undefined here, even in strict mode.
                    Value::UNDEFINED
                }
            }
            ExprKind::Filter(val, f, args, kwargs) => self.eval_filter(val, f, args, kwargs)?,
            ExprKind::Test(val, t, args, negated) => self.eval_test(val, t, args, negated)?,
            ExprKind::Call(callee, args, kwargs) => self.call(callee, args, kwargs)?,
            ExprKind::Super => self.eval_super(e)?,
        })
    }

    // The helpers below are split out of `eval_inner`, which recurses, to keep its stack
    // frame small.

    fn eval_items(&mut self, items: &[Expr]) -> R<Vec<Value>> {
        let mut v = Vec::with_capacity(items.len());
        for i in items {
            v.push(self.eval(i)?);
        }
        Ok(v)
    }

    #[inline(never)]
    fn eval_list(&mut self, items: &[Expr]) -> R<Value> {
        Ok(Value::from_vec(self.eval_items(items)?))
    }

    #[inline(never)]
    fn eval_tuple(&mut self, items: &[Expr]) -> R<Value> {
        Ok(Value::tuple(self.eval_items(items)?))
    }

    #[inline(never)]
    fn eval_dict(&mut self, items: &[(Expr, Expr)]) -> R<Value> {
        let mut m = crate::value::Map::new();
        for (k, v) in items {
            let kv = self.eval(k)?;
            self.check(&kv)?;
            let Some(ks) = kv.as_str() else {
                return Err(type_err("only string keys are supported in dict literals"));
            };
            let ks: Rc<str> = Rc::from(ks);
            let vv = self.eval(v)?;
            m.insert(ks, vv);
        }
        Ok(Value::from(m))
    }

    #[inline(never)]
    fn eval_plus(&mut self, a: &Expr) -> R<Value> {
        let v = self.eval(a)?;
        undefined_check(&v)?;
        if v.num().is_none() {
            return Err(type_err(format!(
                "bad operand type for unary +: '{}'",
                v.type_name()
            )));
        }
        Ok(v)
    }

    #[inline(never)]
    fn eval_concat(&mut self, parts: &[Expr]) -> R<Value> {
        let mut vals = Vec::with_capacity(parts.len());
        for p in parts {
            let v = self.eval(p)?;
            self.check(&v)?;
            vals.push(v);
        }
        let any_safe = self.autoescape && vals.iter().any(Value::is_safe);
        let mut s = String::new();
        let max = self.max_len();
        for v in &vals {
            write_capped(v, &mut s, max, any_safe && !v.is_safe())?;
        }
        if any_safe {
            Ok(Value::safe_string(s))
        } else {
            Ok(Value::string(s))
        }
    }

    #[inline(never)]
    fn eval_compare(&mut self, first: &Expr, ops: &[(CmpOp, Expr)]) -> R<Value> {
        let mut left = self.eval(first)?;
        for (op, rhs) in ops {
            let right = self.eval(rhs)?;
            if !self.compare(*op, &left, &right)? {
                return Ok(Value::from(false));
            }
            left = right;
        }
        Ok(Value::from(true))
    }

    #[inline(never)]
    fn eval_filter(
        &mut self,
        val: &Expr,
        f: &Filter,
        args: &[Expr],
        kwargs: &[(Rc<str>, Expr)],
    ) -> R<Value> {
        let v = self.eval(val)?;
        let mut a = Vec::with_capacity(args.len());
        for x in args {
            a.push(self.eval(x)?);
        }
        let mut kw = Vec::with_capacity(kwargs.len());
        for (k, x) in kwargs {
            kw.push((k.clone(), self.eval(x)?));
        }
        filters::apply(self, *f, v, a, kw)
    }

    #[inline(never)]
    fn eval_test(&mut self, val: &Expr, t: &Test, args: &[Expr], negated: &bool) -> R<Value> {
        let v = self.eval(val)?;
        let mut a = Vec::with_capacity(args.len());
        for x in args {
            a.push(self.eval(x)?);
        }
        let r = filters::test(self, *t, &v, &a)?;
        Ok(Value::from(r != *negated))
    }

    #[inline(never)]
    fn eval_super(&mut self, e: &Expr) -> R<Value> {
        let Some((name, level)) = self.block_stack.last().cloned() else {
            return Err(Error::new(
                ErrorKind::Syntax,
                "super() used outside a block",
            ));
        };
        let pos = e.pos;
        let s = self.capture(|r| r.render_block(&name, level + 1, pos))?;
        if self.autoescape {
            Ok(Value::safe_string(s))
        } else {
            Ok(Value::string(s))
        }
    }

    fn compare(&mut self, op: CmpOp, a: &Value, b: &Value) -> R<bool> {
        // Lenient undefined compares unequal to everything else, contains nothing and is
        // in nothing; ordering it is an error in both modes.
        if self.strict() || !matches!(op, CmpOp::Eq | CmpOp::Ne | CmpOp::In | CmpOp::NotIn) {
            undefined_check(a)?;
            undefined_check(b)?;
        }
        Ok(match op {
            CmpOp::Eq => self.eq(a, b)?,
            CmpOp::Ne => !self.eq(a, b)?,
            CmpOp::In => contains(self, b, a)?,
            CmpOp::NotIn => !contains(self, b, a)?,
            _ => {
                let Some(ord) = self.cmp(a, b)? else {
                    let sym = match op {
                        CmpOp::Lt => "<",
                        CmpOp::Le => "<=",
                        CmpOp::Gt => ">",
                        _ => ">=",
                    };
                    if a.num().is_some() && b.num().is_some() {
                        return Ok(false); // NaN
                    }
                    return Err(type_err(format!(
                        "'{sym}' not supported between instances of '{}' and '{}'",
                        a.type_name(),
                        b.type_name()
                    )));
                };
                use core::cmp::Ordering::*;
                match op {
                    CmpOp::Lt => ord == Less,
                    CmpOp::Le => ord != Greater,
                    CmpOp::Gt => ord == Greater,
                    _ => ord != Less,
                }
            }
        })
    }

    fn call(&mut self, callee: &Expr, args: &[Expr], kwargs: &[(Rc<str>, Expr)]) -> R<Value> {
        if let ExprKind::Attr(obj, name) = &callee.kind {
            let o = self.eval(obj)?;
            undefined_check(&o)?;
            if let Repr::Map(m) = &o.0 {
                let method = match &**name {
                    "items" => Some(0),
                    "keys" => Some(1),
                    "values" => Some(2),
                    _ => None,
                };
                if let Some(which) = method {
                    if !args.is_empty() || !kwargs.is_empty() {
                        return Err(type_err(format!("{name}() takes no arguments")));
                    }
                    let items: Vec<Value> = m
                        .entries
                        .iter()
                        .map(|(k, v)| match which {
                            0 => Value::tuple(alloc::vec![Value::from(k.clone()), v.clone()]),
                            1 => Value::from(k.clone()),
                            _ => v.clone(),
                        })
                        .collect();
                    return Ok(Value::from_vec(items));
                }
            }
            if let Repr::Loop(state) = &o.0 {
                if &**name == "cycle" {
                    if args.is_empty() {
                        return Err(type_err("no items for cycling given"));
                    }
                    let i = state.index0.get() % args.len();
                    return self.eval(&args[i]);
                }
            }
            let f = get_attr(&o, name)?;
            return self.call_value(&f, args, kwargs);
        }
        let f = self.eval(callee)?;
        self.call_value(&f, args, kwargs)
    }

    fn call_value(&mut self, f: &Value, args: &[Expr], kwargs: &[(Rc<str>, Expr)]) -> R<Value> {
        undefined_check(f)?;
        let Repr::Macro(def) = &f.0 else {
            return Err(type_err(format!(
                "'{}' object is not callable",
                f.type_name()
            )));
        };
        let def = def.clone();
        if args.len() > def.params.len() {
            return Err(type_err(format!(
                "macro '{}' takes not more than {} argument(s)",
                def.name,
                def.params.len()
            )));
        }
        let mut frame: Frame = Vec::with_capacity(def.params.len());
        let mut given: Vec<Option<Value>> = alloc::vec![None; def.params.len()];
        for (i, a) in args.iter().enumerate() {
            given[i] = Some(self.eval(a)?);
        }
        for (k, a) in kwargs {
            let Some(i) = def.params.iter().position(|(p, _)| p == k) else {
                return Err(type_err(format!(
                    "macro '{}' takes no keyword argument '{k}'",
                    def.name
                )));
            };
            if given[i].is_some() {
                return Err(type_err(format!(
                    "macro '{}' got multiple values for argument '{k}'",
                    def.name
                )));
            }
            given[i] = Some(self.eval(a)?);
        }
        self.enter_depth()?;
        let saved_floor = self.floor;
        let saved_cur = core::mem::replace(&mut self.cur, def.template.clone());
        self.frames.push(Vec::new());
        self.floor = self.frames.len() - 1;
        let r = (|| {
            for (i, (p, default)) in def.params.iter().enumerate() {
                let v = match given[i].take() {
                    Some(v) => v,
                    None => match default {
                        Some(d) => self.eval(d)?,
                        None => undefined(format!("'{p}' is undefined")),
                    },
                };
                self.assign(p.clone(), v);
            }
            frame.clear();
            self.capture(|r| r.render_nodes(&def.body))
        })();
        self.frames.pop();
        self.floor = saved_floor;
        self.cur = saved_cur;
        self.depth -= 1;
        let s = r?;
        Ok(if self.autoescape {
            Value::safe_string(s)
        } else {
            Value::string(s)
        })
    }
}

/// Where a node starts, for nodes that record it.
fn node_pos(n: &Node) -> Option<Pos> {
    Some(match n {
        Node::Text(_, p) | Node::Block(_, p) => *p,
        Node::Print(e)
        | Node::Set(_, e)
        | Node::Include(e, _)
        | Node::Extends(e)
        | Node::Autoescape(e, _) => e.pos,
        Node::If(arms, _) => arms.first()?.0.pos,
        Node::For(f) => f.pos,
        Node::SetBlock(..) | Node::Macro(_) => return None,
    })
}

/// Comparisons of values built from shared parts can unfold exponentially; one render
/// may visit at most `4 × max_output_bytes` items while comparing.
pub(crate) fn work_err() -> Error {
    limit_err("comparison work exceeds 4 × max_output_bytes items")
}

pub(crate) fn undefined(msg: String) -> Value {
    Value(Repr::UndefinedNamed(Rc::from(msg)))
}

/// Errors on any undefined value (operations that fail even in lenient mode).
#[inline]
pub(crate) fn undefined_check(v: &Value) -> R<()> {
    match &v.0 {
        Repr::Undefined => Err(Error::new(ErrorKind::Undefined, "value is undefined")),
        Repr::UndefinedNamed(m) => Err(Error::new(ErrorKind::Undefined, String::from(&**m))),
        _ => Ok(()),
    }
}

fn get_attr(o: &Value, name: &str) -> R<Value> {
    undefined_check(o)?;
    Ok(match &o.0 {
        Repr::Map(m) => match m.get(name) {
            Some(v) => v.clone(),
            None => undefined(format!("'dict object' has no attribute '{name}'")),
        },
        Repr::Loop(s) => {
            let i = s.index0.get();
            match name {
                "index" => Value::from(i + 1),
                "index0" => Value::from(i),
                "revindex" => Value::from(s.len.saturating_sub(i)),
                "revindex0" => Value::from(s.len.saturating_sub(i + 1)),
                "first" => Value::from(i == 0),
                "last" => Value::from(i + 1 == s.len),
                "length" => Value::from(s.len),
                "depth" => Value::from(1),
                "depth0" => Value::from(0),
                _ => undefined(format!("'LoopContext object' has no attribute '{name}'")),
            }
        }
        _ => undefined(format!(
            "'{} object' has no attribute '{name}'",
            o.type_name()
        )),
    })
}

fn get_item(o: &Value, k: &Value) -> R<Value> {
    undefined_check(o)?;
    let missing = || {
        // The key as Python prints it, cut short: a key can unfold to a huge value.
        let mut key = String::new();
        let _ = k.write_str(&mut Capped {
            s: &mut key,
            max: 64,
        });
        undefined(format!("'{} object' has no item {key}", o.type_name()))
    };
    Ok(match (&o.0, &k.0) {
        (Repr::Map(m), Repr::Str(s) | Repr::Safe(s)) => m.get(s).cloned().unwrap_or_else(missing),
        (Repr::List(l) | Repr::Tuple(l), _) if k.num().is_some_and(|n| matches!(n, Num::I(_))) => {
            let Some(Num::I(i)) = k.num() else {
                return Ok(missing());
            };
            let len = l.len() as i64;
            let idx = if i < 0 { i.saturating_add(len) } else { i };
            if idx >= 0 && idx < len {
                l[idx as usize].clone()
            } else {
                missing()
            }
        }
        (Repr::Str(s) | Repr::Safe(s), Repr::Int(i)) => {
            let n = s.chars().count() as i64;
            let idx = if *i < 0 { i.saturating_add(n) } else { *i };
            match (idx >= 0).then(|| s.chars().nth(idx as usize)).flatten() {
                Some(c) => {
                    // Markup's `__getitem__` keeps the markup type.
                    let mut b = [0u8; 4];
                    let c = c.encode_utf8(&mut b);
                    if o.is_safe() {
                        Value::safe(&*c)
                    } else {
                        Value::str(c)
                    }
                }
                None => missing(),
            }
        }
        (_, Repr::Str(s)) => get_attr(o, s)?,
        _ => missing(),
    })
}

/// Python `item in container`.
pub(crate) fn contains(r: &mut Renderer<'_, '_>, container: &Value, item: &Value) -> R<bool> {
    Ok(match &container.0 {
        Repr::Str(s) | Repr::Safe(s) => match item.as_str() {
            Some(i) => s.contains(i),
            None => {
                return Err(type_err(format!(
                    "'in <string>' requires string as left operand, not {}",
                    item.type_name()
                )))
            }
        },
        Repr::List(l) | Repr::Tuple(l) => {
            for x in l.iter() {
                if r.eq(x, item)? {
                    return Ok(true);
                }
            }
            false
        }
        Repr::Map(m) => match item.as_str() {
            Some(k) => m.get(k).is_some(),
            None => false,
        },
        Repr::Undefined | Repr::UndefinedNamed(_) => false,
        _ => {
            return Err(type_err(format!(
                "argument of type '{}' is not iterable",
                container.type_name()
            )))
        }
    })
}

pub(crate) fn neg(v: &Value) -> R<Value> {
    match v.num() {
        Some(Num::I(i)) => i
            .checked_neg()
            .map(Value::from)
            .ok_or_else(|| value_err("integer overflow")),
        Some(Num::F(f)) => Ok(Value::from(-f)),
        None => Err(type_err(format!(
            "bad operand type for unary -: '{}'",
            v.type_name()
        ))),
    }
}

fn overflow() -> Error {
    value_err("integer overflow")
}

pub(crate) fn floor(x: f64) -> f64 {
    if !x.is_finite() || x.abs() >= 4_503_599_627_370_496.0 {
        return x;
    }
    let t = x as i64 as f64;
    if t > x {
        t - 1.0
    } else {
        t
    }
}

fn py_float_mod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 {
        if (b < 0.0) != (m < 0.0) {
            m + b
        } else {
            m
        }
    } else if b < 0.0 {
        -0.0
    } else {
        0.0
    }
}

fn py_float_floordiv(a: f64, b: f64) -> f64 {
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div != 0.0 {
        let mut fd = floor(div);
        if div - fd > 0.5 {
            fd += 1.0;
        }
        fd
    } else if (a / b).is_sign_negative() {
        -0.0
    } else {
        0.0
    }
}

/// `base ** exp` for floats; integral exponents by squaring, others via `std`.
pub(crate) fn powf(base: f64, exp: f64) -> Option<f64> {
    if exp == floor(exp) && exp.abs() < 1e9 {
        let mut e = exp.abs() as u64;
        let mut b = base;
        let mut r = 1.0;
        while e > 0 {
            if e & 1 == 1 {
                r *= b;
            }
            b *= b;
            e >>= 1;
        }
        return Some(if exp < 0.0 { 1.0 / r } else { r });
    }
    #[cfg(feature = "std")]
    {
        Some(std::primitive::f64::powf(base, exp))
    }
    #[cfg(not(feature = "std"))]
    {
        None
    }
}

fn repeat_str(s: &str, n: i64, safe: bool, max_len: usize) -> R<Value> {
    let n = usize::try_from(n).unwrap_or(0);
    if s.len().saturating_mul(n) > max_len {
        return Err(str_limit_err());
    }
    let r = s.repeat(n);
    Ok(if safe {
        Value::safe_string(r)
    } else {
        Value::string(r)
    })
}

fn repeat_list(l: &[Value], n: i64, tuple: bool, max_len: usize) -> R<Value> {
    let n = usize::try_from(n).unwrap_or(0);
    if l.len().saturating_mul(n) > max_len {
        return Err(limit_err("list exceeds max_output_bytes items"));
    }
    let mut v = Vec::with_capacity(l.len() * n);
    for _ in 0..n {
        v.extend_from_slice(l);
    }
    Ok(if tuple {
        Value::tuple(v)
    } else {
        Value::from_vec(v)
    })
}

fn unsupported(op: &str, a: &Value, b: &Value) -> Error {
    type_err(format!(
        "unsupported operand type(s) for {op}: '{}' and '{}'",
        a.type_name(),
        b.type_name()
    ))
}

/// Python binary arithmetic.
pub(crate) fn binop(op: BinOp, a: &Value, b: &Value, max_len: usize) -> R<Value> {
    use Num::*;
    if let (Some(x), Some(y)) = (a.num(), b.num()) {
        return Ok(match op {
            BinOp::Add => match (x, y) {
                (I(p), I(q)) => Value::from(p.checked_add(q).ok_or_else(overflow)?),
                _ => Value::from(x.f() + y.f()),
            },
            BinOp::Sub => match (x, y) {
                (I(p), I(q)) => Value::from(p.checked_sub(q).ok_or_else(overflow)?),
                _ => Value::from(x.f() - y.f()),
            },
            BinOp::Mul => match (x, y) {
                (I(p), I(q)) => Value::from(p.checked_mul(q).ok_or_else(overflow)?),
                _ => Value::from(x.f() * y.f()),
            },
            BinOp::Div => {
                if y.f() == 0.0 {
                    return Err(value_err("division by zero"));
                }
                Value::from(x.f() / y.f())
            }
            BinOp::FloorDiv => match (x, y) {
                (I(_), I(0)) => return Err(value_err("integer division or modulo by zero")),
                (I(p), I(q)) => {
                    let d = p.checked_div(q).ok_or_else(overflow)?;
                    let d = if (p % q != 0) && ((p < 0) != (q < 0)) {
                        d - 1
                    } else {
                        d
                    };
                    Value::from(d)
                }
                _ => {
                    if y.f() == 0.0 {
                        return Err(value_err("float floor division by zero"));
                    }
                    Value::from(py_float_floordiv(x.f(), y.f()))
                }
            },
            BinOp::Mod => match (x, y) {
                (I(_), I(0)) => return Err(value_err("integer modulo by zero")),
                (I(p), I(q)) => {
                    let r = p.checked_rem(q).ok_or_else(overflow)?;
                    Value::from(if r != 0 && ((r < 0) != (q < 0)) {
                        r + q
                    } else {
                        r
                    })
                }
                _ => {
                    if y.f() == 0.0 {
                        return Err(value_err("float modulo"));
                    }
                    Value::from(py_float_mod(x.f(), y.f()))
                }
            },
            BinOp::Pow => match (x, y) {
                (I(p), I(q)) if q >= 0 => {
                    let e = u32::try_from(q).map_err(|_| overflow())?;
                    Value::from(p.checked_pow(e).ok_or_else(overflow)?)
                }
                _ => {
                    if x.f() == 0.0 && y.f() < 0.0 {
                        return Err(value_err("zero to a negative power"));
                    }
                    if x.f() < 0.0 && y.f() != floor(y.f()) {
                        return Err(value_err("negative number to a fractional power"));
                    }
                    Value::from(
                        powf(x.f(), y.f())
                            .ok_or_else(|| value_err("fractional powers need the std feature"))?,
                    )
                }
            },
        });
    }
    match (op, &a.0, &b.0) {
        (BinOp::Add, Repr::Str(x) | Repr::Safe(x), Repr::Str(y) | Repr::Safe(y)) => {
            if x.len() + y.len() > max_len {
                return Err(str_limit_err());
            }
            let (sa, sb) = (a.is_safe(), b.is_safe());
            let mut s = String::with_capacity(x.len() + y.len());
            if sb && !sa {
                s.push_str(&crate::format::escape(x));
            } else {
                s.push_str(x);
            }
            if sa && !sb {
                s.push_str(&crate::format::escape(y));
            } else {
                s.push_str(y);
            }
            Ok(if sa || sb {
                Value::safe_string(s)
            } else {
                Value::string(s)
            })
        }
        (BinOp::Add, Repr::List(x), Repr::List(y))
        | (BinOp::Add, Repr::Tuple(x), Repr::Tuple(y)) => {
            if x.len() + y.len() > max_len {
                return Err(limit_err("list too long"));
            }
            let mut v = Vec::with_capacity(x.len() + y.len());
            v.extend_from_slice(x);
            v.extend_from_slice(y);
            Ok(if matches!(a.0, Repr::Tuple(_)) {
                Value::tuple(v)
            } else {
                Value::from_vec(v)
            })
        }
        (BinOp::Mul, Repr::Str(s) | Repr::Safe(s), _) => match b.num() {
            Some(I(n)) => repeat_str(s, n, a.is_safe(), max_len),
            _ => Err(unsupported("*", a, b)),
        },
        (BinOp::Mul, _, Repr::Str(s) | Repr::Safe(s)) => match a.num() {
            Some(I(n)) => repeat_str(s, n, b.is_safe(), max_len),
            _ => Err(unsupported("*", a, b)),
        },
        (BinOp::Mul, Repr::List(l) | Repr::Tuple(l), _) => match b.num() {
            Some(I(n)) => repeat_list(l, n, matches!(a.0, Repr::Tuple(_)), max_len),
            _ => Err(unsupported("*", a, b)),
        },
        (BinOp::Mul, _, Repr::List(l) | Repr::Tuple(l)) => match a.num() {
            Some(I(n)) => repeat_list(l, n, matches!(b.0, Repr::Tuple(_)), max_len),
            _ => Err(unsupported("*", a, b)),
        },
        _ => {
            let sym = match op {
                BinOp::Add => "+",
                BinOp::Sub => "-",
                BinOp::Mul => "*",
                BinOp::Div => "/",
                BinOp::FloorDiv => "//",
                BinOp::Mod => "%",
                BinOp::Pow => "** or pow()",
            };
            Err(unsupported(sym, a, b))
        }
    }
}
