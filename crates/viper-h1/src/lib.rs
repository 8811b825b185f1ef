#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

mod chunked;
mod config;
mod conn;
mod error;
mod head;

pub use chunked::{Chunk, ChunkedDecoder};
pub use config::{Config, ContinueMode, MAX_HEADERS_CAP};
pub use conn::{Connection, Event, Role, H2_PREFACE};
pub use error::{Error, ErrorKind, SendError};
pub use head::{BodyKind, Head, Headers, Method, RequestHead, ResponseHead, TargetForm, Version};
pub use viper_core::{Duration, Instant};
