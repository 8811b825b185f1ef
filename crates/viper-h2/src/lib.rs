//! HTTP/2 sans-IO connection (RFC 9113): frame codec, streams, flow control, hardening.
#![no_std]

extern crate alloc;
