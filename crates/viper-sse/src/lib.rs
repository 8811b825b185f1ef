#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

mod encode;
mod headers;
mod parse;

pub use encode::{EncodeError, Encoder, EncoderConfig, Event};
pub use headers::{last_event_id, CONTENT_TYPE, LAST_EVENT_ID, RESPONSE_HEADERS};
pub use parse::{ClientEvent, MessageEvent, ParseError, Parser, ParserConfig};

#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "std")]
impl std::error::Error for EncodeError {}

#[cfg(feature = "std")]
impl std::error::Error for ParseError {}
