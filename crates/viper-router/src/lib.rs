#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

mod error;
mod method;
mod pattern;
mod pct;
mod router;

pub use error::InsertError;
pub use method::{Allow, Method};
pub use pattern::MAX_PARAMS;
pub use pct::{Decode, PctStr};
pub use router::{
    Config, EncodedSlash, Found, Match, Params, Redirect, Router, TrailingSlash, Value,
};
