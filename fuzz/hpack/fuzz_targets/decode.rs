//! Arbitrary header blocks, split into several blocks on one connection, under arbitrary
//! limits: the decoder must never panic, must respect its limits, and must keep its
//! dynamic table within the size it was allowed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use viper_hpack::{DecodeError, Decoder, DecoderConfig};

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let (head, rest) = data.split_at(6);
    let config = DecoderConfig {
        max_table_size: u16::from_le_bytes([head[0], head[1]]) as usize,
        max_header_list_size: u16::from_le_bytes([head[2], head[3]]) as usize * 4,
        max_header_count: head[4] as usize,
    };
    let mut decoder = Decoder::new(config);
    // A 0xfe separator byte splits blocks only when head[5] is odd, so one input
    // also exercises unsplit blocks containing 0xfe.
    let split = head[5] & 1 == 1;
    let blocks: Vec<&[u8]> = if split {
        rest.split(|&b| b == 0xfe).collect()
    } else {
        vec![rest]
    };
    for (i, block) in blocks.into_iter().enumerate() {
        if i == 2 && head[5] & 2 != 0 {
            decoder.set_max_table_size(config.max_table_size / 2);
        }
        let mut count = 0usize;
        let mut size = 0usize;
        let result = decoder.decode(block, |h| {
            count += 1;
            size += h.name.len() + h.value.len() + 32;
        });
        assert!(count <= config.max_header_count);
        assert!(size <= config.max_header_list_size);
        let (used, max) = decoder.table_size();
        assert!(used <= max && max <= config.max_table_size);
        match result {
            Ok(()) => {}
            Err(e) if e.is_limit() => {
                assert!(matches!(
                    e,
                    DecodeError::HeaderListTooLarge | DecodeError::TooManyHeaders
                ));
            }
            Err(_) => return,
        }
    }
    // Memory stays bounded by the limits and the input, not by what the input claims.
    assert!(decoder.heap_bytes() <= 4 * config.max_table_size + 4 * data.len() + 4096);
});
