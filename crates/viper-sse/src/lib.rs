//! Server-Sent Events: encoder and WHATWG-exact parser, sans-IO.
#![no_std]

extern crate alloc;
