//! A serde deserializer over request parts that records pydantic-2-shaped errors and
//! keeps going, so one request gets every error of every field, as FastAPI reports them.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde_json::Value;

use crate::error::ValidationError;

/// Upper bound of the missing-field retries (one per required field).
const MAX_RETRIES: usize = 64;

/// Where values come from.
#[derive(Clone, Copy)]
pub(crate) enum Input<'a> {
    /// Named text values (path parameters, query pairs grouped by name, headers).
    Fields(&'a [(String, Vec<String>)]),
    /// One text value (last wins for scalars) or several (sequences).
    Text(&'a [String]),
    /// A parsed JSON value.
    Json(&'a Value),
    /// A required field that is absent; the payload is the parent's input for `input`.
    Missing(Option<&'a Value>),
}

#[derive(Debug)]
pub(crate) enum DeError {
    Missing(&'static str),
    Other(String),
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Missing(m) => write!(f, "missing field {m}"),
            DeError::Other(m) => f.write_str(m),
        }
    }
}

impl core::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Other(msg.to_string())
    }
    fn missing_field(field: &'static str) -> Self {
        DeError::Missing(field)
    }
}

struct Ctx<'e> {
    errs: RefCell<Vec<ValidationError>>,
    forced: RefCell<Vec<&'static str>>,
    _p: core::marker::PhantomData<&'e ()>,
}

/// Deserializes `T` from `input`, collecting every validation error with `root` as the
/// start of each `loc`.
pub(crate) fn from_input<T: DeserializeOwned>(
    input: Input<'_>,
    root: &[Value],
) -> Result<T, Vec<ValidationError>> {
    let ctx = Ctx {
        errs: RefCell::new(Vec::new()),
        forced: RefCell::new(Vec::new()),
        _p: core::marker::PhantomData,
    };
    for _ in 0..MAX_RETRIES {
        ctx.errs.borrow_mut().clear();
        let de = ValDe {
            input,
            loc: root.to_vec(),
            ctx: &ctx,
            depth: 0,
        };
        match T::deserialize(de) {
            Ok(v) => {
                let errs = core::mem::take(&mut *ctx.errs.borrow_mut());
                return if errs.is_empty() { Ok(v) } else { Err(errs) };
            }
            Err(DeError::Missing(f)) if !ctx.forced.borrow().contains(&f) => {
                ctx.forced.borrow_mut().push(f);
            }
            Err(DeError::Missing(f)) => {
                let mut loc = root.to_vec();
                loc.push(Value::String(f.to_string()));
                return Err(vec![missing(loc, Value::Null)]);
            }
            Err(DeError::Other(m)) => {
                let mut errs = core::mem::take(&mut *ctx.errs.borrow_mut());
                if errs.is_empty() {
                    errs.push(ValidationError {
                        kind: "value_error",
                        loc: root.to_vec(),
                        msg: Cow::Owned(m),
                        input: Value::Null,
                        ctx: None,
                    });
                }
                return Err(errs);
            }
        }
    }
    Err(Vec::new())
}

pub(crate) fn missing(loc: Vec<Value>, input: Value) -> ValidationError {
    ValidationError {
        kind: "missing",
        loc,
        msg: Cow::Borrowed("Field required"),
        input,
        ctx: None,
    }
}

struct ValDe<'a, 'e> {
    input: Input<'a>,
    loc: Vec<Value>,
    ctx: &'e Ctx<'e>,
    depth: usize,
}

enum Scalar<'a> {
    Str(&'a str),
    Json(&'a Value),
}

impl<'a, 'e> ValDe<'a, 'e> {
    fn record(&self, kind: &'static str, msg: &'static str, input: Value) {
        self.ctx.errs.borrow_mut().push(ValidationError {
            kind,
            loc: self.loc.clone(),
            msg: Cow::Borrowed(msg),
            input,
            ctx: None,
        });
    }

    /// The scalar to read, or `None` after recording `missing`.
    fn scalar(&self) -> Option<Scalar<'a>> {
        match self.input {
            Input::Text(v) => match v.last() {
                Some(s) => Some(Scalar::Str(s)),
                None => {
                    self.record_missing(None);
                    None
                }
            },
            Input::Json(v) => Some(Scalar::Json(v)),
            Input::Missing(parent) => {
                self.record_missing(parent);
                None
            }
            Input::Fields(_) => {
                self.record(
                    "model_attributes_type",
                    "Input should be a valid dictionary or object to extract fields from",
                    Value::Null,
                );
                None
            }
        }
    }

    fn record_missing(&self, parent: Option<&Value>) {
        self.ctx.errs.borrow_mut().push(missing(
            self.loc.clone(),
            parent.cloned().unwrap_or(Value::Null),
        ));
    }

    /// Records a constraint violation reported by a [`crate::Int`] or [`crate::Str`]
    /// visitor (`"\0range:<kind>:<bound>"`).
    fn record_range(&self, m: &str) {
        let rest = &m[crate::validate::RANGE_ERR.len()..];
        let (kind, bound) = rest.split_once(':').unwrap_or(("ge", "0"));
        let bound: i64 = bound.parse().unwrap_or(0);
        let plural = if bound == 1 { "" } else { "s" };
        let (ty, msg) = match kind {
            "ge" => (
                "greater_than_equal",
                alloc::format!("Input should be greater than or equal to {bound}"),
            ),
            "le" => (
                "less_than_equal",
                alloc::format!("Input should be less than or equal to {bound}"),
            ),
            "min_length" => (
                "string_too_short",
                alloc::format!("String should have at least {bound} character{plural}"),
            ),
            _ => (
                "string_too_long",
                alloc::format!("String should have at most {bound} character{plural}"),
            ),
        };
        let mut ctx = serde_json::Map::new();
        ctx.insert(kind.to_string(), Value::from(bound));
        self.ctx.errs.borrow_mut().push(ValidationError {
            kind: ty,
            loc: self.loc.clone(),
            msg: Cow::Owned(msg),
            input: json_of(&self.input),
            ctx: Some(Value::Object(ctx)),
        });
    }

    fn int(&self) -> Option<i64> {
        const PARSE: &str = "Input should be a valid integer, unable to parse string as an integer";
        const TYPE: &str = "Input should be a valid integer";
        match self.scalar()? {
            Scalar::Str(s) => parse_int(s).or_else(|| {
                self.record("int_parsing", PARSE, Value::String(s.to_string()));
                None
            }),
            Scalar::Json(v) => match v {
                Value::Number(n) => {
                    if let Some(i) = n.as_i64() {
                        Some(i)
                    } else if let Some(f) = n
                        .as_f64()
                        .filter(|f| f.abs() < 9.0e18 && (*f as i64) as f64 == *f)
                    {
                        Some(f as i64)
                    } else {
                        self.record(
                            "int_from_float",
                            "Input should be a valid integer, got a number with a fractional part",
                            v.clone(),
                        );
                        None
                    }
                }
                Value::String(s) => parse_int(s).or_else(|| {
                    self.record("int_parsing", PARSE, v.clone());
                    None
                }),
                Value::Bool(b) => Some(i64::from(*b)),
                other => {
                    self.record("int_type", TYPE, other.clone());
                    None
                }
            },
        }
    }

    fn float(&self) -> Option<f64> {
        const PARSE: &str = "Input should be a valid number, unable to parse string as a number";
        match self.scalar()? {
            Scalar::Str(s) => s.trim().parse::<f64>().ok().or_else(|| {
                self.record("float_parsing", PARSE, Value::String(s.to_string()));
                None
            }),
            Scalar::Json(v) => match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok().or_else(|| {
                    self.record("float_parsing", PARSE, v.clone());
                    None
                }),
                Value::Bool(b) => Some(f64::from(u8::from(*b))),
                other => {
                    self.record(
                        "float_type",
                        "Input should be a valid number",
                        other.clone(),
                    );
                    None
                }
            },
        }
    }

    fn boolean(&self) -> Option<bool> {
        const PARSE: &str = "Input should be a valid boolean, unable to interpret input";
        match self.scalar()? {
            Scalar::Str(s) => parse_bool(s).or_else(|| {
                self.record("bool_parsing", PARSE, Value::String(s.to_string()));
                None
            }),
            Scalar::Json(v) => match v {
                Value::Bool(b) => Some(*b),
                Value::Number(n) if n.as_i64() == Some(0) => Some(false),
                Value::Number(n) if n.as_i64() == Some(1) => Some(true),
                Value::String(s) => parse_bool(s).or_else(|| {
                    self.record("bool_parsing", PARSE, v.clone());
                    None
                }),
                Value::Number(_) => {
                    self.record("bool_parsing", PARSE, v.clone());
                    None
                }
                other => {
                    self.record(
                        "bool_type",
                        "Input should be a valid boolean",
                        other.clone(),
                    );
                    None
                }
            },
        }
    }

    fn string(&self) -> Option<String> {
        match self.scalar()? {
            Scalar::Str(s) => Some(s.to_string()),
            Scalar::Json(Value::String(s)) => Some(s.clone()),
            Scalar::Json(other) => {
                self.record(
                    "string_type",
                    "Input should be a valid string",
                    other.clone(),
                );
                None
            }
        }
    }

    fn child(&self, input: Input<'a>, key: Value) -> ValDe<'a, 'e> {
        let mut loc = self.loc.clone();
        loc.push(key);
        ValDe {
            input,
            loc,
            ctx: self.ctx,
            depth: self.depth + 1,
        }
    }
}

fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    let t: String = t.chars().filter(|c| *c != '_').collect();
    t.parse::<i64>().ok()
}

fn parse_bool(s: &str) -> Option<bool> {
    let l = s.trim().to_ascii_lowercase();
    match l.as_str() {
        "1" | "on" | "t" | "true" | "y" | "yes" => Some(true),
        "0" | "off" | "f" | "false" | "n" | "no" => Some(false),
        _ => None,
    }
}

macro_rules! ints {
    ($($m:ident),*) => {$(
        fn $m<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
            v.visit_i64(self.int().unwrap_or(0))
        }
    )*};
}

impl<'de, 'a, 'e> de::Deserializer<'de> for ValDe<'a, 'e> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.input {
            Input::Json(j) => {
                let val = j.clone();
                val.deserialize_any(v)
                    .map_err(|e| DeError::Other(e.to_string()))
            }
            Input::Text(_) | Input::Missing(_) => match self.string() {
                Some(s) => v.visit_string(s),
                None => v.visit_unit(),
            },
            Input::Fields(_) => self.deserialize_map(v),
        }
    }

    ints!(deserialize_i8, deserialize_i16, deserialize_i32);

    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let parsed = self.int();
        match v.visit_i64(parsed.unwrap_or(0)) {
            Err(DeError::Other(m)) if m.starts_with(crate::validate::RANGE_ERR) => {
                if parsed.is_some() {
                    self.record_range(&m);
                }
                Err(DeError::Other(crate::validate::RECORDED.to_string()))
            }
            r => r,
        }
    }

    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_u64(v)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_u64(v)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_u64(v)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.int() {
            Some(i) if i >= 0 => v.visit_u64(i as u64),
            Some(i) => v.visit_i64(i),
            None => v.visit_u64(0),
        }
    }
    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_f64(self.float().unwrap_or(0.0))
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_f64(self.float().unwrap_or(0.0))
    }
    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_bool(self.boolean().unwrap_or(false))
    }
    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let parsed = self.string();
        let ok = parsed.is_some();
        match v.visit_string(parsed.unwrap_or_default()) {
            Err(DeError::Other(m)) if m.starts_with(crate::validate::RANGE_ERR) => {
                if ok {
                    self.record_range(&m);
                }
                Err(DeError::Other(crate::validate::RECORDED.to_string()))
            }
            r => r,
        }
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_byte_buf(self.string().unwrap_or_default().into_bytes())
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(v)
    }
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.input {
            Input::Json(Value::Null) | Input::Missing(_) => v.visit_none(),
            Input::Text([]) => v.visit_none(),
            _ => v.visit_some(self),
        }
    }
    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_unit()
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.input {
            Input::Text(t) => v.visit_seq(Seq {
                items: t
                    .iter()
                    .map(|s| Input::Text(core::slice::from_ref(s)))
                    .collect(),
                pos: 0,
                parent: &self,
            }),
            Input::Json(Value::Array(a)) => v.visit_seq(Seq {
                items: a.iter().map(Input::Json).collect(),
                pos: 0,
                parent: &self,
            }),
            Input::Fields(f) => v.visit_seq(Seq {
                items: f.iter().map(|(_, vals)| Input::Text(vals)).collect(),
                pos: 0,
                parent: &self,
            }),
            Input::Missing(p) => {
                self.record_missing(p);
                v.visit_seq(Seq {
                    items: Vec::new(),
                    pos: 0,
                    parent: &self,
                })
            }
            Input::Json(other) => {
                self.record("list_type", "Input should be a valid list", other.clone());
                v.visit_seq(Seq {
                    items: Vec::new(),
                    pos: 0,
                    parent: &self,
                })
            }
        }
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }
    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let mut entries: Vec<(String, Input<'a>)> = Vec::new();
        match self.input {
            Input::Fields(f) => {
                for (k, vals) in f {
                    entries.push((k.clone(), Input::Text(vals)));
                }
            }
            Input::Json(Value::Object(o)) => {
                for (k, val) in o {
                    entries.push((k.clone(), Input::Json(val)));
                }
            }
            Input::Missing(p) => self.record_missing(p),
            _ => self.record(
                "dict_type",
                "Input should be a valid dictionary",
                json_of(&self.input),
            ),
        }
        v.visit_map(Map {
            entries,
            pos: 0,
            parent: &self,
        })
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let mut entries: Vec<(String, Input<'a>)> = Vec::new();
        let forced: Vec<&'static str> = if self.depth == 0 {
            self.ctx.forced.borrow().clone()
        } else {
            Vec::new()
        };
        match self.input {
            Input::Fields(f) => {
                for name in fields {
                    if let Some((_, vals)) = f.iter().find(|(k, _)| k == name) {
                        entries.push((name.to_string(), Input::Text(vals)));
                    } else if forced.contains(name) {
                        entries.push((name.to_string(), Input::Missing(None)));
                    }
                }
            }
            Input::Json(j @ Value::Object(o)) => {
                for name in fields {
                    if let Some(val) = o.get(*name) {
                        entries.push((name.to_string(), Input::Json(val)));
                    } else if forced.contains(name) {
                        entries.push((name.to_string(), Input::Missing(Some(j))));
                    }
                }
            }
            Input::Missing(p) => {
                self.record_missing(p);
                return Err(DeError::Other("missing".to_string()));
            }
            _ => {
                self.record(
                    "model_attributes_type",
                    "Input should be a valid dictionary or object to extract fields from",
                    json_of(&self.input),
                );
                return Err(DeError::Other("not an object".to_string()));
            }
        }
        v.visit_map(Map {
            entries,
            pos: 0,
            parent: &self,
        })
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        // Unit variants only (literal choices): pydantic's `literal_error`.
        let s = match self.scalar() {
            Some(Scalar::Str(s)) => Some((s.to_string(), Value::String(s.to_string()))),
            Some(Scalar::Json(Value::String(s))) => Some((s.clone(), Value::String(s.clone()))),
            Some(Scalar::Json(other)) => Some((String::new(), other.clone())),
            None => None,
        };
        let chosen = match &s {
            Some((s, _)) if variants.contains(&s.as_str()) => s.clone(),
            Some((_, input)) => {
                let mut expected = String::new();
                for (i, name) in variants.iter().enumerate() {
                    if i > 0 {
                        expected.push_str(if i + 1 == variants.len() {
                            " or "
                        } else {
                            ", "
                        });
                    }
                    expected.push('\'');
                    expected.push_str(name);
                    expected.push('\'');
                }
                self.ctx.errs.borrow_mut().push(ValidationError {
                    kind: "literal_error",
                    loc: self.loc.clone(),
                    msg: Cow::Owned(alloc::format!("Input should be {expected}")),
                    input: input.clone(),
                    ctx: Some(serde_json::json!({ "expected": expected })),
                });
                variants.first().map(|s| s.to_string()).unwrap_or_default()
            }
            None => variants.first().map(|s| s.to_string()).unwrap_or_default(),
        };
        v.visit_enum(chosen.into_deserializer())
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_unit()
    }
}

fn json_of(input: &Input<'_>) -> Value {
    match input {
        Input::Json(v) => (*v).clone(),
        Input::Text(t) => t
            .last()
            .map(|s| Value::String(s.clone()))
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

struct Seq<'p, 'a, 'e> {
    items: Vec<Input<'a>>,
    pos: usize,
    parent: &'p ValDe<'a, 'e>,
}

impl<'de, 'a, 'e> SeqAccess<'de> for Seq<'_, 'a, 'e> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(item) = self.items.get(self.pos).copied() else {
            return Ok(None);
        };
        let key = Value::from(self.pos as u64);
        self.pos += 1;
        seed.deserialize(self.parent.child(item, key)).map(Some)
    }
}

struct Map<'p, 'a, 'e> {
    entries: Vec<(String, Input<'a>)>,
    pos: usize,
    parent: &'p ValDe<'a, 'e>,
}

impl<'de, 'a, 'e> MapAccess<'de> for Map<'_, 'a, 'e> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((k, _)) = self.entries.get(self.pos) else {
            return Ok(None);
        };
        let k: de::value::StringDeserializer<DeError> = k.clone().into_deserializer();
        seed.deserialize(k).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((k, input)) = self.entries.get(self.pos).cloned() else {
            return Err(DeError::Other("value without key".to_string()));
        };
        self.pos += 1;
        seed.deserialize(self.parent.child(input, Value::String(k)))
    }
}
