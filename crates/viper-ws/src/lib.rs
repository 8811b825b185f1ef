#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

mod conn;
pub mod deflate;
mod error;
pub mod handshake;
mod mask;
mod utf8;

pub use conn::{Config, DataKind, Event, MessageRef, Role, State, WebSocket};
pub use error::{CloseCode, Error, SendError};
pub use handshake::{accept_key, Negotiated};
pub use mask::apply_mask;
pub use utf8::Utf8Validator;
