//! The chunked decoder alone, with input split at input-chosen points; the decoded
//! body must equal what decoding the whole input at once gives.
#![no_main]
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use viper_h1::{Chunk, ChunkedDecoder, Config};

fn run(data: &[u8], step: usize, cfg: &Config) -> (Vec<u8>, Option<usize>, bool) {
    let mut dec = ChunkedDecoder::new();
    let mut buf = BytesMut::new();
    let mut body = Vec::new();
    let mut fed = 0;
    loop {
        match dec.decode(&mut buf, cfg) {
            Ok(Some(Chunk::Data(d))) => {
                assert!(!d.is_empty());
                body.extend_from_slice(&d);
            }
            Ok(Some(Chunk::End(t))) => return (body, Some(t.len()), false),
            Ok(None) => {
                if fed >= data.len() {
                    return (body, None, false);
                }
                let n = step.min(data.len() - fed);
                buf.extend_from_slice(&data[fed..fed + n]);
                fed += n;
            }
            Err(_) => return (body, None, true),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&s, data)) = data.split_first() else {
        return;
    };
    let cfg = Config {
        max_chunk_ext_len: 32,
        max_trailer_size: 256,
        max_body_size: 1 << 20,
        ..Config::default()
    };
    let whole = run(data, data.len().max(1), &cfg);
    let split = run(data, usize::from(s % 16) + 1, &cfg);
    // Errors may surface earlier with less input, but a success must be identical.
    if !whole.2 && !split.2 {
        assert_eq!(whole, split);
    }
});
