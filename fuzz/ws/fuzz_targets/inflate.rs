#![no_main]
//! permessage-deflate decompression on arbitrary data: never panics, never
//! grows past the limit (+1 byte used to detect overflow).
use libfuzzer_sys::fuzz_target;
use viper_ws::deflate::Decompressor;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let no_ctx = data[0] & 1 != 0;
    let limit = usize::from(data[0] >> 1) * 97;
    let mut d = Decompressor::new(no_ctx);
    // Messages separated by 0xA5, each fed in two halves.
    let body = &data[1..];
    for msg in body.split(|b| *b == 0xa5) {
        let mut out = Vec::new();
        let (a, b) = msg.split_at(msg.len() / 2);
        let r = d
            .inflate(a, &mut out, limit)
            .and_then(|_| d.inflate(b, &mut out, limit))
            .and_then(|_| d.finish_message(&mut out, limit));
        assert!(out.len() <= limit + 1);
        if r.is_err() {
            d.reset();
        }
    }
});
