//! RFC 7541 (HPACK) as seen through the HTTP/2 connection: header blocks of the RFC's
//! Appendix C examples, shared dynamic-table state across streams, and every decoding
//! error mapped to COMPRESSION_ERROR (or 431 for the limits).

mod common;
use common::*;
use viper_h2::frame::{flags, kind};
use viper_h2::{Config, ErrorCode, Event};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn req(id: u32, block: &[u8]) -> Vec<u8> {
    raw(
        kind::HEADERS,
        flags::END_HEADERS | flags::END_STREAM,
        id,
        block,
    )
}

fn heads(c: &Client) -> Vec<Vec<(String, String)>> {
    c.events
        .iter()
        .filter_map(|e| match e {
            Event::Request { head, .. } => Some(
                head.fields()
                    .iter()
                    .map(|f| {
                        (
                            String::from_utf8(f.name.to_vec()).unwrap(),
                            String::from_utf8(f.value.to_vec()).unwrap(),
                        )
                    })
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

fn run_sequence(blocks: &[&str]) {
    for split in SPLITS {
        let mut c = Client::handshake(Config::default());
        let mut b = Vec::new();
        for (i, h) in blocks.iter().enumerate() {
            b.extend(req(2 * i as u32 + 1, &hex(h)));
        }
        c.feed(&b, split);
        assert_eq!(c.goaway(), None);
        let h = heads(&c);
        assert_eq!(h.len(), 3);
        let f = |v: &[(String, String)], n: &str| v.iter().find(|x| x.0 == n).map(|x| x.1.clone());
        assert_eq!(f(&h[0], ":authority").as_deref(), Some("www.example.com"));
        assert_eq!(f(&h[1], "cache-control").as_deref(), Some("no-cache"));
        assert_eq!(
            f(&h[1], ":authority").as_deref(),
            Some("www.example.com"),
            "dynamic table entry reused"
        );
        assert_eq!(f(&h[2], ":path").as_deref(), Some("/index.html"));
        assert_eq!(f(&h[2], "custom-key").as_deref(), Some("custom-value"));
        assert_eq!(f(&h[2], ":scheme").as_deref(), Some("https"));
    }
}

#[test]
fn c3_requests_without_huffman_share_the_dynamic_table() {
    run_sequence(&[
        "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "8286 84be 5808 6e6f 2d63 6163 6865",
        "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    ]);
}

#[test]
fn c4_requests_with_huffman() {
    run_sequence(&[
        "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        "8286 84be 5886 a8eb 1064 9cbf",
        "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    ]);
}

fn compression_error(block: Vec<u8>) {
    for split in SPLITS {
        let mut c = Client::handshake(Config::default());
        c.feed(&req(1, &block), split);
        assert_eq!(
            c.goaway().map(|g| g.0),
            Some(ErrorCode::COMPRESSION_ERROR),
            "{block:02x?}"
        );
    }
}

#[test]
fn s2_3_3_index_out_of_range() {
    compression_error(vec![0x82, 0x86, 0x84, 0xff, 0x10]);
}

#[test]
fn s6_1_index_zero() {
    compression_error(vec![0x80]);
}

#[test]
fn s4_2_table_size_update_above_our_setting() {
    // 4097 > SETTINGS_HEADER_TABLE_SIZE (4096).
    compression_error(vec![0x3f, 0xe2, 0x1f, 0x82, 0x86, 0x84]);
}

#[test]
fn s4_2_table_size_update_at_limit_is_fine() {
    let mut c = Client::handshake(Config::default());
    c.feed(&req(1, &[0x3f, 0xe1, 0x1f, 0x82, 0x86, 0x84]), Split::Whole);
    assert_eq!(c.requests(), vec![1]);
}

#[test]
fn s4_2_table_size_update_after_field() {
    compression_error(vec![0x82, 0x20, 0x86, 0x84]);
}

#[test]
fn s5_2_huffman_padding_not_eos_prefix() {
    compression_error(vec![0x82, 0x86, 0x84, 0x00, 0x01, b'a', 0x81, 0x00]);
}

#[test]
fn s5_2_huffman_eos_in_string() {
    // 30 one-bits encode EOS.
    compression_error(vec![
        0x82, 0x86, 0x84, 0x00, 0x01, b'a', 0x84, 0xff, 0xff, 0xff, 0xff,
    ]);
}

#[test]
fn s5_1_truncated_integer_and_string() {
    compression_error(vec![0x82, 0x86, 0x84, 0x00, 0x05, b'a']);
    compression_error(vec![0x82, 0xff]);
}

#[test]
fn s7_1_3_never_indexed_is_reported_sensitive() {
    let mut c = Client::handshake(Config::default());
    // Literal never indexed, new name "authorization"? use indexed name 23 (authorization).
    let mut block = vec![0x82, 0x86, 0x84, 0x1f, 0x08, 0x06];
    block.extend_from_slice(b"secret");
    c.feed(&req(1, &block), Split::Whole);
    let Event::Request { head, .. } = &c.events[0] else {
        panic!()
    };
    let f = head.headers().next().unwrap();
    assert_eq!(f.name, b"authorization");
    assert!(f.sensitive);
}

#[test]
fn our_table_size_setting_is_enforced() {
    let cfg = Config {
        header_table_size: 256,
        ..Config::default()
    };
    let mut c = Client::handshake(cfg);
    // 257 > 256.
    c.feed(&req(1, &[0x3f, 0xe2, 0x01, 0x82, 0x86, 0x84]), Split::Whole);
    assert_eq!(c.goaway().map(|g| g.0), Some(ErrorCode::COMPRESSION_ERROR));
}

#[test]
fn header_count_limit_answers_431() {
    let cfg = Config {
        max_header_count: 8,
        ..Config::default()
    };
    let mut c = Client::handshake(cfg);
    let mut f = vec![(":method", "GET"), (":scheme", "http"), (":path", "/")];
    for _ in 0..10 {
        f.push(("x", "y"));
    }
    let b = c.headers(1, &f, true);
    c.feed(&b, Split::Whole);
    let h = c.frames.iter().find(|f| f.is(kind::HEADERS)).unwrap();
    assert_eq!(h.status(), Some(&b"431"[..]));
    // The table stayed in sync: the next request decodes.
    c.assert_alive(3);
}

#[test]
fn responses_decode_with_an_independent_decoder() {
    let mut c = Client::handshake(Config::default());
    for i in 0..20u32 {
        let id = 2 * i + 1;
        let g = c.get(id, "/");
        c.feed(&g, Split::Whole);
        let v = format!("value-{}", i % 3);
        c.conn
            .send_response(
                id,
                200,
                &[(b"x-rep", v.as_bytes()), (b"server", b"viper")],
                true,
            )
            .unwrap();
    }
    c.pump(); // Client::decode panics on any bad block.
    let n = c.frames.iter().filter(|f| f.is(kind::HEADERS)).count();
    assert_eq!(n, 20);
    let last = c.frames.iter().rev().find(|f| f.is(kind::HEADERS)).unwrap();
    assert_eq!(last.headers[1].1, b"value-1");
}
