//! Typed-parameter HTTP router with allocation-free lookups.
#![no_std]

extern crate alloc;
