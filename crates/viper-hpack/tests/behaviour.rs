//! Limits, malformed input, size updates and encoder policy, through the public API.

use viper_hpack::{DecodeError, Decoder, DecoderConfig, Encoder, EncoderConfig, Header};

type Fields = Vec<(Vec<u8>, Vec<u8>, bool)>;

fn decode(d: &mut Decoder, block: &[u8]) -> (Fields, Result<(), DecodeError>) {
    let mut out = Vec::new();
    let r = d.decode(block, |h| {
        out.push((h.name.to_vec(), h.value.to_vec(), h.sensitive))
    });
    (out, r)
}

/// A literal with incremental indexing and a literal (non-Huffman) name.
fn literal_indexed(name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut b = vec![0x40];
    push_str(&mut b, name);
    push_str(&mut b, value);
    b
}

fn push_str(b: &mut Vec<u8>, s: &[u8]) {
    push_int(b, 0, 7, s.len());
    b.extend_from_slice(s);
}

fn push_int(b: &mut Vec<u8>, flags: u8, n: u32, v: usize) {
    let max = (1usize << n) - 1;
    if v < max {
        b.push(flags | v as u8);
    } else {
        b.push(flags | max as u8);
        let mut v = v - max;
        while v >= 128 {
            b.push((v % 128) as u8 | 0x80);
            v /= 128;
        }
        b.push(v as u8);
    }
}

#[test]
fn malformed_blocks_give_the_precise_error() {
    use DecodeError::*;
    let cases: &[(&[u8], DecodeError)] = &[
        // The block that panics the `hpack` crate: a size update with a truncated integer.
        (&[0x3f], Truncated),
        (&[0x3f, 0xe1], Truncated),
        (&[0x3f, 0xe2, 0x1f], TableSizeUpdateTooLarge(4097)),
        (&[0x3f, 0xff, 0xff, 0xff, 0xff, 0x7f], IntegerOverflow),
        (
            &[0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
            IntegerOverflow,
        ),
        (&[0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], IntegerOverflow),
        (&[0x80], InvalidIndex(0)),
        (&[0xbe], InvalidIndex(62)),
        (&[0xff, 0x00], InvalidIndex(127)),
        (&[0x0f, 0x2f, 0x00], InvalidIndex(62)),
        (&[0x7e, 0x00], InvalidIndex(62)),
        (&[0x40], Truncated),
        (&[0x40, 0x01], Truncated),
        (&[0x40, 0x05, b'a'], Truncated),
        (&[0x41, 0x7f], Truncated),
        (&[0x04, 0x03, b'/', b'a'], Truncated),
        (&[0x82, 0x20], TableSizeUpdateNotAtStart),
        (&[0x82, 0x3f, 0xe1, 0x01], TableSizeUpdateNotAtStart),
        // Huffman: eight one-bits of padding; EOS inside; zero padding after 'a'.
        (&[0x41, 0x81, 0xff], InvalidPadding),
        (&[0x41, 0x84, 0xff, 0xff, 0xff, 0xff], EosInString),
        (&[0x41, 0x81, 0x18], InvalidPadding),
        (&[0x40, 0x81, 0xfe, 0x00], InvalidPadding),
    ];
    for (block, want) in cases {
        let mut d = Decoder::new(DecoderConfig::default());
        let (_, got) = decode(&mut d, block);
        assert_eq!(got, Err(*want), "{block:02x?}");
        assert!(!want.is_limit());
        assert!(!want.to_string().is_empty());
    }
}

#[test]
fn hpack_bomb_is_bounded_and_keeps_the_table_in_sync() {
    let config = DecoderConfig::default();
    let mut d = Decoder::new(config);
    // One 4000-byte entry, then referenced 1000 times: 4 MB of headers from 1 KB.
    let mut block = literal_indexed(b"x-bomb", &[b'a'; 4000]);
    block.extend(std::iter::repeat_n(0xbe, 1000));
    // A new entry after the limit was hit must still be inserted.
    block.extend(literal_indexed(b"x-after", b"1"));
    let (got, r) = decode(&mut d, &block);
    assert_eq!(r, Err(DecodeError::HeaderListTooLarge));
    assert!(r.unwrap_err().is_limit());
    let delivered: usize = got.iter().map(|(n, v, _)| n.len() + v.len() + 32).sum();
    assert!(delivered <= config.max_header_list_size);
    assert_eq!(got.len(), 4); // 4 × 4038 fits in 16 KiB, a fifth does not
    let (got, r) = decode(&mut d, &[0xbe]);
    assert_eq!(r, Ok(()));
    assert_eq!(got, vec![(b"x-after".to_vec(), b"1".to_vec(), false)]);
}

#[test]
fn too_many_headers_is_a_limit_error_and_keeps_sync() {
    let mut d = Decoder::new(DecoderConfig {
        max_header_count: 3,
        ..DecoderConfig::default()
    });
    let mut block = vec![0x82, 0x84, 0x86, 0x87];
    block.extend(literal_indexed(b"late", b"field"));
    let (got, r) = decode(&mut d, &block);
    assert_eq!(r, Err(DecodeError::TooManyHeaders));
    assert_eq!(got.len(), 3);
    let (got, r) = decode(&mut d, &[0xbe]);
    assert_eq!(r, Ok(()));
    assert_eq!(got[0].0, b"late");
}

#[test]
fn decoder_requires_the_size_update_after_a_decrease() {
    let mut d = Decoder::new(DecoderConfig::default());
    assert_eq!(decode(&mut d, &literal_indexed(b"k", b"v")).1, Ok(()));
    d.set_max_table_size(100);
    assert_eq!(
        decode(&mut d, &[0x82]).1,
        Err(DecodeError::MissingTableSizeUpdate)
    );

    let mut d = Decoder::new(DecoderConfig::default());
    d.set_max_table_size(100);
    // An update above the new limit is refused; one within it is accepted.
    assert_eq!(
        decode(&mut d, &[0x3f, 0x46, 0x82]).1,
        Err(DecodeError::TableSizeUpdateTooLarge(101))
    );
    let mut d = Decoder::new(DecoderConfig::default());
    d.set_max_table_size(100);
    assert_eq!(decode(&mut d, &[0x3f, 0x45, 0x82]).1, Ok(()));
    assert_eq!(d.table_size(), (0, 100));
    // Raising the limit needs no update; the table keeps its size until told.
    d.set_max_table_size(4096);
    assert_eq!(decode(&mut d, &[0x82]).1, Ok(()));
    assert_eq!(d.table_size(), (0, 100));
}

#[test]
fn size_update_evicts_in_the_decoder() {
    let mut d = Decoder::new(DecoderConfig::default());
    let mut block = literal_indexed(b"a", b"1");
    block.extend(literal_indexed(b"b", b"2"));
    assert_eq!(decode(&mut d, &block).1, Ok(()));
    assert_eq!(d.table_size(), (68, 4096));
    // Shrink to 34 (one entry), then back up, in one block: the two-update sequence.
    let (got, r) = decode(&mut d, &[0x3f, 0x03, 0x3f, 0xe1, 0x1f, 0xbe]);
    assert_eq!(r, Ok(()));
    assert_eq!(got, vec![(b"b".to_vec(), b"2".to_vec(), false)]);
    assert_eq!(d.table_size(), (34, 4096));
    assert_eq!(
        decode(&mut d, &[0xbf]).1,
        Err(DecodeError::InvalidIndex(63))
    );
}

#[test]
fn encoder_emits_shrink_then_grow_updates() {
    let mut e = Encoder::new(EncoderConfig::default());
    let mut d = Decoder::new(DecoderConfig::default());
    let hs = [Header::new(b"x-custom", b"value")];
    let mut block = Vec::new();
    e.encode(hs, &mut block);
    assert_eq!(decode(&mut d, &block).1, Ok(()));
    // The peer announced 0 and then 4096 again before our next block.
    e.set_max_table_size(0);
    e.set_max_table_size(4096);
    d.set_max_table_size(0);
    d.set_max_table_size(4096);
    block.clear();
    e.encode(hs, &mut block);
    assert_eq!(block[..4], [0x20, 0x3f, 0xe1, 0x1f]);
    let (got, r) = decode(&mut d, &block);
    assert_eq!(r, Ok(()));
    assert_eq!(got[0].1, b"value");
    assert_eq!(e.table_size(), d.table_size());
    // No change, no update.
    e.set_max_table_size(4096);
    block.clear();
    e.encode(hs, &mut block);
    assert_eq!(block, [0xbe]);
}

#[test]
fn encoder_never_indexes_sensitive_fields() {
    let mut e = Encoder::new(EncoderConfig::default());
    let mut d = Decoder::new(DecoderConfig::default());
    let long_cookie = [b'c'; 40];
    let fields = [
        Header::new(b"authorization", b"Bearer abc"),
        Header::new(b"proxy-authorization", b"Basic xyz"),
        Header::new(b"cookie", b"id=1"),
        Header::new(b"cookie", &long_cookie),
        Header::sensitive(b"x-token", b"t"),
        Header::new(b"x-plain", b"p"),
    ];
    let mut block = Vec::new();
    e.encode(fields, &mut block);
    let (got, r) = decode(&mut d, &block);
    assert_eq!(r, Ok(()));
    let flags: Vec<bool> = got.iter().map(|f| f.2).collect();
    assert_eq!(flags, [true, true, true, false, true, false]);
    // Only the long cookie and x-plain entered the table.
    assert_eq!(e.table_len(), 2);
    assert_eq!(d.table_len(), 2);
}

#[test]
fn repeat_request_is_all_indexed() {
    let req = [
        Header::new(b":method", b"GET"),
        Header::new(b":scheme", b"https"),
        Header::new(b":authority", b"example.com"),
        Header::new(b":path", b"/app.js"),
        Header::new(
            b"user-agent",
            b"Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
        ),
        Header::new(b"accept", b"*/*"),
    ];
    let mut e = Encoder::new(EncoderConfig::default());
    let mut first = Vec::new();
    e.encode(req, &mut first);
    let mut second = Vec::new();
    e.encode(req, &mut second);
    assert_eq!(second.len(), req.len());
    assert!(second.iter().all(|b| b & 0x80 != 0));
    let mut d = Decoder::new(DecoderConfig::default());
    assert_eq!(decode(&mut d, &first).1, Ok(()));
    let (got, r) = decode(&mut d, &second);
    assert_eq!(r, Ok(()));
    assert_eq!(got[4].1, req[4].value);
}

#[test]
fn huffman_only_when_not_longer() {
    let mut e = Encoder::new(EncoderConfig {
        indexing: viper_hpack::IndexPolicy::Never,
        ..EncoderConfig::default()
    });
    // Bytes with long Huffman codes: raw is shorter, so no H bit.
    let value = [0x01u8, 0x02, 0x03, 0x04];
    let mut block = Vec::new();
    e.encode([Header::new(b"x-bin", &value)], &mut block);
    // 0x00 (literal, new name), name "x-bin" (Huffman 4 bytes < 5), value raw.
    assert_eq!(block[0], 0x00);
    assert_eq!(block[1], 0x84);
    assert_eq!(block[6], 0x04);
    assert_eq!(block[7..], value);
}

#[test]
fn decoder_memory_stays_bounded() {
    let mut d = Decoder::new(DecoderConfig::default());
    for i in 0..2000u32 {
        let value = vec![b'v'; (i % 300) as usize];
        let block = literal_indexed(&i.to_be_bytes(), &value);
        assert_eq!(decode(&mut d, &block).1, Ok(()));
        assert!(d.table_size().0 <= 4096);
    }
    assert!(d.heap_bytes() < 32 * 1024, "{}", d.heap_bytes());
}

/// State sizes quoted in the README (inline size; heap is bounded by the table size).
#[test]
fn state_sizes() {
    let d = std::mem::size_of::<Decoder>();
    let e = std::mem::size_of::<Encoder>();
    println!("size_of Decoder = {d}, Encoder = {e}");
    assert!(d <= 160 && e <= 160, "{d} {e}");
    // A fresh decoder owns no heap; after a full 4096-byte table, a bounded amount.
    let mut dec = Decoder::new(DecoderConfig::default());
    assert_eq!(dec.heap_bytes(), 0);
    let mut enc = Encoder::new(EncoderConfig {
        indexing: viper_hpack::IndexPolicy::Always,
        ..EncoderConfig::default()
    });
    let mut block = Vec::new();
    let values: Vec<String> = (0..200).map(|i| format!("value-{i:04}")).collect();
    for v in &values {
        block.clear();
        enc.encode([Header::new(b"x-key", v.as_bytes())], &mut block);
        assert_eq!(decode(&mut dec, &block).1, Ok(()));
    }
    assert_eq!(enc.table_size(), dec.table_size());
    println!(
        "heap after filling a 4096-byte table: decoder {}, encoder {}",
        dec.heap_bytes(),
        enc.heap_bytes()
    );
    assert!(dec.heap_bytes() <= 3 * 4096 && enc.heap_bytes() <= 3 * 4096);
}
