//! The dynamic value type templates compute with.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::format::{write_float, write_repr_str};

/// A value in a template context or computed by an expression.
///
/// Mirrors the Python types Jinja2 works with: `None`, booleans, integers (64-bit here),
/// floats, strings (plain or "safe" markup that is not escaped again), lists, tuples and
/// string-keyed mappings that keep insertion order. Cloning is cheap (reference counted).
#[derive(Clone, Debug, Default)]
pub struct Value(pub(crate) Repr);

#[derive(Clone, Debug, Default)]
pub(crate) enum Repr {
    /// A missing variable or attribute; carries the name for error messages.
    #[default]
    Undefined,
    UndefinedNamed(Rc<str>),
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    Safe(Rc<str>),
    List(Rc<Vec<Value>>),
    Tuple(Rc<Vec<Value>>),
    Map(Rc<Map>),
    Macro(Rc<crate::ast::MacroDef>),
    Loop(Rc<crate::render::LoopState>),
}

/// String equality for short names (variables, attributes, map keys) without a libc
/// `memcmp` call per comparison.
#[inline]
pub(crate) fn key_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    if a.len() <= 16 {
        a.iter().zip(b).all(|(x, y)| x == y)
    } else {
        a == b
    }
}

/// An insertion-ordered, string-keyed mapping (a Python `dict` with string keys).
#[derive(Clone, Debug, Default)]
pub struct Map {
    pub(crate) entries: Vec<(Rc<str>, Value)>,
}

impl Map {
    /// An empty map.
    pub fn new() -> Self {
        Map::default()
    }

    /// Inserts or replaces `key`; a new key goes to the end, like a Python dict.
    pub fn insert(&mut self, key: impl Into<Rc<str>>, value: impl Into<Value>) {
        let key = key.into();
        let value = value.into();
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| key_eq(k, &key)) {
            slot.1 = value;
        } else {
            self.entries.push((key, value));
        }
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| key_eq(k, key))
            .map(|(_, v)| v)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }
}

impl<K: Into<Rc<str>>, V: Into<Value>> FromIterator<(K, V)> for Map {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut m = Map::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl Value {
    /// Python's `None`.
    pub const NONE: Value = Value(Repr::None);

    /// The undefined value (what a missing variable evaluates to).
    pub const UNDEFINED: Value = Value(Repr::Undefined);

    /// A string that is already safe HTML: autoescaping leaves it alone (`|safe`).
    pub fn safe(s: impl Into<Rc<str>>) -> Value {
        Value(Repr::Safe(s.into()))
    }

    /// A list from any iterator of values.
    pub fn list<I: IntoIterator<Item = V>, V: Into<Value>>(items: I) -> Value {
        Value(Repr::List(Rc::new(
            items.into_iter().map(Into::into).collect(),
        )))
    }

    /// A mapping from key/value pairs (later duplicates replace earlier ones).
    pub fn map<I: IntoIterator<Item = (K, V)>, K: Into<Rc<str>>, V: Into<Value>>(
        items: I,
    ) -> Value {
        Value(Repr::Map(Rc::new(items.into_iter().collect())))
    }

    /// True for the undefined value.
    pub fn is_undefined(&self) -> bool {
        matches!(self.0, Repr::Undefined | Repr::UndefinedNamed(_))
    }

    /// The string content if this is a (plain or safe) string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Str(s) | Repr::Safe(s) => Some(s),
            _ => None,
        }
    }

    /// The integer if this is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The items if this is a list or tuple.
    pub fn as_slice(&self) -> Option<&[Value]> {
        match &self.0 {
            Repr::List(l) | Repr::Tuple(l) => Some(l),
            _ => None,
        }
    }

    /// The map if this is a mapping.
    pub fn as_map(&self) -> Option<&Map> {
        match &self.0 {
            Repr::Map(m) => Some(m),
            _ => None,
        }
    }

    pub(crate) fn str(s: &str) -> Value {
        Value(Repr::Str(Rc::from(s)))
    }

    pub(crate) fn string(s: String) -> Value {
        Value(Repr::Str(Rc::from(s)))
    }

    pub(crate) fn safe_string(s: String) -> Value {
        Value(Repr::Safe(Rc::from(s)))
    }

    pub(crate) fn tuple(v: Vec<Value>) -> Value {
        Value(Repr::Tuple(Rc::new(v)))
    }

    pub(crate) fn from_vec(v: Vec<Value>) -> Value {
        Value(Repr::List(Rc::new(v)))
    }

    pub(crate) fn is_safe(&self) -> bool {
        matches!(self.0, Repr::Safe(_))
    }

    /// Python's type name, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self.0 {
            Repr::Undefined | Repr::UndefinedNamed(_) => "undefined",
            Repr::None => "NoneType",
            Repr::Bool(_) => "bool",
            Repr::Int(_) => "int",
            Repr::Float(_) => "float",
            Repr::Str(_) => "str",
            Repr::Safe(_) => "Markup",
            Repr::List(_) => "list",
            Repr::Tuple(_) => "tuple",
            Repr::Map(_) => "dict",
            Repr::Macro(_) => "Macro",
            Repr::Loop(_) => "LoopContext",
        }
    }

    /// Python truthiness (undefined is handled by the caller).
    pub(crate) fn truthy(&self) -> bool {
        match &self.0 {
            Repr::Undefined | Repr::UndefinedNamed(_) | Repr::None => false,
            Repr::Bool(b) => *b,
            Repr::Int(i) => *i != 0,
            Repr::Float(f) => *f != 0.0,
            Repr::Str(s) | Repr::Safe(s) => !s.is_empty(),
            Repr::List(l) | Repr::Tuple(l) => !l.is_empty(),
            Repr::Map(m) => !m.is_empty(),
            Repr::Macro(_) | Repr::Loop(_) => true,
        }
    }

    /// Numeric view: ints and bools as integers, floats as floats.
    pub(crate) fn num(&self) -> Option<Num> {
        match self.0 {
            Repr::Bool(b) => Some(Num::I(b as i64)),
            Repr::Int(i) => Some(Num::I(i)),
            Repr::Float(f) => Some(Num::F(f)),
            _ => None,
        }
    }

    /// Python `==`.
    pub(crate) fn py_eq(&self, other: &Value) -> bool {
        let mut unbounded = usize::MAX;
        self.eq_within(other, &mut unbounded).unwrap_or(false)
    }

    /// Python `==`, visiting at most `budget` nested items; `None` once the budget is
    /// spent (values built from shared parts can be exponentially large when unfolded).
    pub(crate) fn eq_within(&self, other: &Value, budget: &mut usize) -> Option<bool> {
        *budget = budget.checked_sub(1)?;
        if let (Some(a), Some(b)) = (self.num(), other.num()) {
            return Some(match (a, b) {
                (Num::I(x), Num::I(y)) => x == y,
                (x, y) => x.f() == y.f(),
            });
        }
        Some(match (&self.0, &other.0) {
            (Repr::None, Repr::None) => true,
            (Repr::Str(a) | Repr::Safe(a), Repr::Str(b) | Repr::Safe(b)) => a == b,
            (Repr::List(a), Repr::List(b)) | (Repr::Tuple(a), Repr::Tuple(b)) => {
                if Rc::ptr_eq(a, b) {
                    return Some(true);
                }
                if a.len() != b.len() {
                    return Some(false);
                }
                for (x, y) in a.iter().zip(b.iter()) {
                    if !x.eq_within(y, budget)? {
                        return Some(false);
                    }
                }
                true
            }
            (Repr::Map(a), Repr::Map(b)) => {
                if Rc::ptr_eq(a, b) {
                    return Some(true);
                }
                if a.len() != b.len() {
                    return Some(false);
                }
                for (k, v) in &a.entries {
                    match b.get(k) {
                        Some(w) if v.eq_within(w, budget)? => {}
                        _ => return Some(false),
                    }
                }
                true
            }
            (
                Repr::Undefined | Repr::UndefinedNamed(_),
                Repr::Undefined | Repr::UndefinedNamed(_),
            ) => true,
            (Repr::Macro(a), Repr::Macro(b)) => Rc::ptr_eq(a, b),
            _ => false,
        })
    }

    /// Python ordering within a budget of visited items: `Ok(None)` when the types
    /// cannot be ordered, `Err(())` once the budget is spent.
    pub(crate) fn cmp_within(
        &self,
        other: &Value,
        budget: &mut usize,
    ) -> Result<Option<core::cmp::Ordering>, ()> {
        *budget = budget.checked_sub(1).ok_or(())?;
        if let (Some(a), Some(b)) = (self.num(), other.num()) {
            return Ok(match (a, b) {
                (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
                (x, y) => x.f().partial_cmp(&y.f()),
            });
        }
        Ok(match (&self.0, &other.0) {
            (Repr::Str(a) | Repr::Safe(a), Repr::Str(b) | Repr::Safe(b)) => Some(a.cmp(b)),
            (Repr::List(a), Repr::List(b)) | (Repr::Tuple(a), Repr::Tuple(b)) => {
                for (x, y) in a.iter().zip(b.iter()) {
                    if !x.eq_within(y, budget).ok_or(())? {
                        return x.cmp_within(y, budget);
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            _ => None,
        })
    }

    /// Python `str(value)` written to `out` (undefined writes nothing).
    pub(crate) fn write_str(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        match &self.0 {
            Repr::Str(s) | Repr::Safe(s) => out.write_str(s),
            Repr::Undefined | Repr::UndefinedNamed(_) => Ok(()),
            Repr::Int(i) => write!(out, "{i}"),
            _ => self.write_repr(out),
        }
    }

    /// Python `repr(value)`.
    pub(crate) fn write_repr(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        match &self.0 {
            Repr::Undefined | Repr::UndefinedNamed(_) => out.write_str("Undefined"),
            Repr::None => out.write_str("None"),
            Repr::Bool(true) => out.write_str("True"),
            Repr::Bool(false) => out.write_str("False"),
            Repr::Int(i) => write!(out, "{i}"),
            Repr::Float(f) => write_float(*f, out),
            Repr::Str(s) => write_repr_str(s, out),
            Repr::Safe(s) => {
                out.write_str("Markup(")?;
                write_repr_str(s, out)?;
                out.write_str(")")
            }
            Repr::List(l) => {
                out.write_str("[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.write_str(", ")?;
                    }
                    v.write_repr(out)?;
                }
                out.write_str("]")
            }
            Repr::Tuple(l) => {
                out.write_str("(")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.write_str(", ")?;
                    }
                    v.write_repr(out)?;
                }
                if l.len() == 1 {
                    out.write_str(",")?;
                }
                out.write_str(")")
            }
            Repr::Map(m) => {
                out.write_str("{")?;
                for (i, (k, v)) in m.entries.iter().enumerate() {
                    if i > 0 {
                        out.write_str(", ")?;
                    }
                    write_repr_str(k, out)?;
                    out.write_str(": ")?;
                    v.write_repr(out)?;
                }
                out.write_str("}")
            }
            Repr::Macro(m) => write!(out, "<Macro '{}'>", m.name),
            Repr::Loop(l) => write!(out, "<LoopContext {}/{}>", l.index0.get() + 1, l.len),
        }
    }

    /// `str(value)` as an owned string.
    pub(crate) fn to_py_string(&self) -> String {
        let mut s = String::new();
        let _ = self.write_str(&mut s);
        s
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_str(f)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.py_eq(other)
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Num {
    I(i64),
    F(f64),
}

impl Num {
    pub(crate) fn f(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::F(f) => f,
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value(Repr::Int(v as i64))
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for Value {
    fn from(v: u64) -> Value {
        match i64::try_from(v) {
            Ok(i) => Value(Repr::Int(i)),
            Err(_) => Value(Repr::Float(v as f64)),
        }
    }
}

impl From<usize> for Value {
    fn from(v: usize) -> Value {
        Value::from(v as u64)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value(Repr::Float(v))
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value(Repr::Float(v as f64))
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value(Repr::Bool(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::str(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::string(v)
    }
}

impl From<Rc<str>> for Value {
    fn from(v: Rc<str>) -> Value {
        Value(Repr::Str(v))
    }
}

impl From<Map> for Value {
    fn from(v: Map) -> Value {
        Value(Repr::Map(Rc::new(v)))
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::list(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        match v {
            Some(v) => v.into(),
            None => Value::NONE,
        }
    }
}

impl From<()> for Value {
    fn from(_: ()) -> Value {
        Value::NONE
    }
}
