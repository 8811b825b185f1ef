//! A Jinja2-compatible template engine, no_std + alloc.
#![no_std]

extern crate alloc;
