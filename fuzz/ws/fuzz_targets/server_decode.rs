#![no_main]
//! The server-role decoder (masked frames in) on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::drive(viper_ws::Role::Server, data);
});
