#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

mod config;
mod conn;
mod headers;
mod sse;
mod stats;

pub use config::Config;
pub use conn::{
    Body, CloseReason, Connection, Error, Event, Request, StreamId, Upgrade, Version, WsMessage,
    H2_SNIFF,
};
pub use headers::Headers;
pub use sse::{SseEvent, SSE_HEARTBEAT};
pub use stats::{Admission, Stats, REFUSAL_RESPONSE};
pub use viper_core::{Duration, Instant};
