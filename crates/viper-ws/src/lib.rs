//! WebSocket sans-IO protocol (RFC 6455) with permessage-deflate (RFC 7692), both roles.
#![no_std]

extern crate alloc;
