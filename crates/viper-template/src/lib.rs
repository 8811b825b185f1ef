#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod ast;
mod env;
mod error;
mod filters;
mod format;
mod lexer;
mod parser;
mod render;
#[cfg(feature = "serde")]
mod ser;
mod value;

#[cfg(feature = "std")]
pub use env::FsLoader;
pub use env::{Config, Environment, Loader, MapLoader, Source, Template};
pub use error::{Error, ErrorKind};
pub use value::{Map, Value};
