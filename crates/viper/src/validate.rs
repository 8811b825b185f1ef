//! Constrained values: pydantic's `ge`/`le` on integers, checked during extraction.

use core::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// The newtype name `Int` asks for (serde_json and others just unwrap it).
pub(crate) const INT_RANGE: &str = "\0viper::Int";

/// An integer with `GE <= value <= LE` (FastAPI's `Annotated[int, Query(ge=GE, le=LE)]`).
/// Out of range: `greater_than_equal` / `less_than_equal` with pydantic's message,
/// `input` and `ctx`, merged into the request's 422 like every other field error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Int<const GE: i64, const LE: i64>(pub i64);

impl<const GE: i64, const LE: i64> Int<GE, LE> {
    /// The value.
    pub const fn get(self) -> i64 {
        self.0
    }
}

/// A visitor error of this form carries a range violation to the deserializer:
/// `"\0range:ge:<n>"` or `"\0range:le:<n>"`.
pub(crate) const RANGE_ERR: &str = "\0range:";

/// The error the extraction deserializer returns after recording a range violation;
/// [`Int`] swallows it and yields a placeholder (the request is answered 422 anyway).
pub(crate) const RECORDED: &str = "\0recorded";

struct Inner<const GE: i64, const LE: i64>;

impl<const GE: i64, const LE: i64> Visitor<'_> for Inner<GE, LE> {
    type Value = Int<GE, LE>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an integer in {GE}..={LE}")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        RangeVisitor::<GE, LE>.visit_i64(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        RangeVisitor::<GE, LE>.visit_u64(v)
    }
}

struct RangeVisitor<const GE: i64, const LE: i64>;

impl<'de, const GE: i64, const LE: i64> Visitor<'de> for RangeVisitor<GE, LE> {
    type Value = Int<GE, LE>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an integer in {GE}..={LE}")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        if v < GE {
            Err(E::custom(format_args!("{RANGE_ERR}ge:{GE}")))
        } else if v > LE {
            Err(E::custom(format_args!("{RANGE_ERR}le:{LE}")))
        } else {
            Ok(Int(v))
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        match i64::try_from(v) {
            Ok(v) => self.visit_i64(v),
            Err(_) => Err(E::custom(format_args!("{RANGE_ERR}le:{LE}"))),
        }
    }

    /// The placeholder after an error was recorded (the value is thrown away).
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Int(GE))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        use alloc::string::ToString;
        match d.deserialize_i64(Inner::<GE, LE>) {
            Err(e) if e.to_string() == RECORDED => Ok(Int(GE)),
            r => r,
        }
    }
}

impl<'de, const GE: i64, const LE: i64> Deserialize<'de> for Int<GE, LE> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct(INT_RANGE, RangeVisitor::<GE, LE>)
    }
}

/// Constrained `Int` in a response is just the number.
impl<const GE: i64, const LE: i64> serde::Serialize for Int<GE, LE> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

/// A string of `MIN..=MAX` characters (FastAPI's `min_length`/`max_length`); outside:
/// `string_too_short` / `string_too_long` with pydantic's message and `ctx`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str<const MIN: usize, const MAX: usize>(pub alloc::string::String);

impl<const MIN: usize, const MAX: usize> Str<MIN, MAX> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

struct StrInner<const MIN: usize, const MAX: usize>;

impl<const MIN: usize, const MAX: usize> Visitor<'_> for StrInner<MIN, MAX> {
    type Value = Str<MIN, MAX>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string of {MIN}..={MAX} characters")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let n = v.chars().count();
        if n < MIN {
            Err(E::custom(format_args!("{RANGE_ERR}min_length:{MIN}")))
        } else if n > MAX {
            Err(E::custom(format_args!("{RANGE_ERR}max_length:{MAX}")))
        } else {
            Ok(Str(v.into()))
        }
    }
}

struct StrVisitor<const MIN: usize, const MAX: usize>;

impl<'de, const MIN: usize, const MAX: usize> Visitor<'de> for StrVisitor<MIN, MAX> {
    type Value = Str<MIN, MAX>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string of {MIN}..={MAX} characters")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        StrInner::<MIN, MAX>.visit_str(v)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        use alloc::string::ToString;
        match d.deserialize_str(StrInner::<MIN, MAX>) {
            Err(e) if e.to_string() == RECORDED => Ok(Str(alloc::string::String::new())),
            r => r,
        }
    }
}

impl<'de, const MIN: usize, const MAX: usize> Deserialize<'de> for Str<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct("\0viper::Str", StrVisitor::<MIN, MAX>)
    }
}

impl<const MIN: usize, const MAX: usize> serde::Serialize for Str<MIN, MAX> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}
