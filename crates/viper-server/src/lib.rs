#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

mod config;
mod conn;
mod headers;
mod stats;

pub use config::Config;
pub use conn::{
    Body, CloseReason, Connection, Error, Event, Request, StreamId, Upgrade, Version, WsMessage,
    H2_SNIFF, SSE_HEARTBEAT,
};
pub use headers::Headers;
pub use stats::{refusal, Admission, Refusal, Stats, H2_REFUSAL, REFUSAL_RESPONSE};
pub use viper_core::{DateCache, Duration, HttpDate, Instant};
pub use viper_sse::Event as SseEvent;
