//! HTTP/1.1 sans-IO protocol state machine (RFC 9112), both roles.
#![no_std]

extern crate alloc;
