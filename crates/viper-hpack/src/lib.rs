//! HPACK header compression for HTTP/2 (RFC 7541): panic-free, bounded, no_std.
#![no_std]

extern crate alloc;
