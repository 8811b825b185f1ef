//! Viper's sans-IO server core: one connection type for h1, h2, WebSocket and SSE.
#![no_std]

extern crate alloc;
