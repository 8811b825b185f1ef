//! `serde::Serialize` → [`Value`] (feature `serde`), so applications pass their own
//! structs as the render context.

use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::ser::{self, Serialize};

use crate::error::{Error, ErrorKind};
use crate::value::{Map, Value};

impl Value {
    /// Converts any `Serialize` value (structs become maps, sequences lists, unit and
    /// `None` become `none`). Map keys must be strings, chars, integers or booleans.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
        value
            .serialize(ValueSerializer)
            .map_err(|e| Error::new(ErrorKind::Type, e.0))
    }
}

/// A serialization failure (an unsupported key type or a custom error).
#[derive(Debug)]
pub(crate) struct SerError(String);

impl fmt::Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerError(msg.to_string())
    }
}

struct ValueSerializer;

type Res = Result<Value, SerError>;

struct SeqBuilder {
    items: Vec<Value>,
    variant: Option<&'static str>,
}

struct MapBuilder {
    map: Map,
    key: Option<Rc<str>>,
    variant: Option<&'static str>,
}

fn wrap_variant(variant: Option<&'static str>, v: Value) -> Value {
    match variant {
        Some(name) => Value::map([(name, v)]),
        None => v,
    }
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = SerError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = SeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = MapBuilder;

    fn serialize_bool(self, v: bool) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_i8(self, v: i8) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_i16(self, v: i16) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_i32(self, v: i32) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_i64(self, v: i64) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_u8(self, v: u8) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_u16(self, v: u16) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_u32(self, v: u32) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_u64(self, v: u64) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_f32(self, v: f32) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_f64(self, v: f64) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_char(self, v: char) -> Res {
        let mut b = [0u8; 4];
        Ok(Value::from(&*v.encode_utf8(&mut b)))
    }
    fn serialize_str(self, v: &str) -> Res {
        Ok(Value::from(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Res {
        Ok(Value::list(v.iter().copied()))
    }
    fn serialize_none(self) -> Res {
        Ok(Value::NONE)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Res {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Res {
        Ok(Value::NONE)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Res {
        Ok(Value::NONE)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Res {
        Ok(Value::from(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Res {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Res {
        Ok(Value::map([(variant, value.serialize(self)?)]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, SerError> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len.unwrap_or(0).min(1024)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, SerError> {
        let mut s = self.serialize_seq(Some(len))?;
        s.variant = Some(variant);
        Ok(s)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapBuilder, SerError> {
        Ok(MapBuilder {
            map: Map::new(),
            key: None,
            variant: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<MapBuilder, SerError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<MapBuilder, SerError> {
        let mut m = self.serialize_map(None)?;
        m.variant = Some(variant);
        Ok(m)
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Res {
        Ok(wrap_variant(self.variant, Value::from_vec(self.items)))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Res {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Res {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for SeqBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Res {
        ser::SerializeSeq::end(self)
    }
}

fn key_string(v: Value) -> Result<Rc<str>, SerError> {
    if let Some(s) = v.as_str() {
        return Ok(Rc::from(s));
    }
    match v.0 {
        crate::value::Repr::Int(_) | crate::value::Repr::Bool(_) => Ok(Rc::from(v.to_py_string())),
        _ => Err(SerError(String::from("map keys must be strings"))),
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.key = Some(key_string(key.serialize(ValueSerializer)?)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| SerError(String::from("map value without a key")))?;
        self.map.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Res {
        Ok(wrap_variant(self.variant, Value::from(self.map)))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        self.map.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Res {
        Ok(wrap_variant(self.variant, Value::from(self.map)))
    }
}

impl ser::SerializeStructVariant for MapBuilder {
    type Ok = Value;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Res {
        ser::SerializeStruct::end(self)
    }
}
