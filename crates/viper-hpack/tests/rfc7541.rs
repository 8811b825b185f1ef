//! RFC 7541 Appendix C, byte for byte, through the public API: every example is decoded
//! (headers and dynamic-table size checked) and encoded (bytes checked).

use viper_hpack::{Decoder, DecoderConfig, Encoder, EncoderConfig, Header, IndexPolicy};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

type Fields = Vec<(String, String, bool)>;

fn decode(d: &mut Decoder, block: &[u8]) -> Fields {
    let mut out = Vec::new();
    d.decode(block, |h| {
        out.push((
            String::from_utf8(h.name.to_vec()).unwrap(),
            String::from_utf8(h.value.to_vec()).unwrap(),
            h.sensitive,
        ))
    })
    .unwrap();
    out
}

fn fields(list: &[(&str, &str)]) -> Fields {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string(), false))
        .collect()
}

fn encode(e: &mut Encoder, list: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    e.encode(
        list.iter()
            .map(|(n, v)| Header::new(n.as_bytes(), v.as_bytes())),
        &mut out,
    );
    out
}

fn config(huffman: bool, indexing: IndexPolicy) -> EncoderConfig {
    EncoderConfig {
        use_huffman: huffman,
        indexing,
        ..EncoderConfig::default()
    }
}

#[test]
fn c1_integers_via_table_size_updates() {
    // C.1.1: 10 with a 5-bit prefix; C.1.2: 1337 with a 5-bit prefix. The dynamic table
    // size update is the representation with a 5-bit prefix.
    for (value, wire) in [(10usize, "2a"), (1337, "3f9a0a")] {
        let mut e = Encoder::new(EncoderConfig::default());
        e.set_max_table_size(value);
        assert_eq!(encode(&mut e, &[]), hex(wire));
        let mut d = Decoder::new(DecoderConfig::default());
        d.set_max_table_size(value);
        assert!(decode(&mut d, &hex(wire)).is_empty());
        assert_eq!(d.table_size(), (0, value));
    }
}

#[test]
fn c2_1_literal_with_indexing() {
    let wire = hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
    let mut d = Decoder::new(DecoderConfig::default());
    assert_eq!(
        decode(&mut d, &wire),
        fields(&[("custom-key", "custom-header")])
    );
    assert_eq!(d.table_size().0, 55);
    let mut e = Encoder::new(config(false, IndexPolicy::Auto));
    assert_eq!(encode(&mut e, &[("custom-key", "custom-header")]), wire);
    assert_eq!(e.table_size().0, 55);
}

#[test]
fn c2_2_literal_without_indexing() {
    let wire = hex("040c 2f73 616d 706c 652f 7061 7468");
    let mut d = Decoder::new(DecoderConfig::default());
    assert_eq!(decode(&mut d, &wire), fields(&[(":path", "/sample/path")]));
    assert_eq!(d.table_len(), 0);
    let mut e = Encoder::new(config(false, IndexPolicy::Never));
    assert_eq!(encode(&mut e, &[(":path", "/sample/path")]), wire);
}

#[test]
fn c2_3_literal_never_indexed() {
    let wire = hex("1008 7061 7373 776f 7264 0673 6563 7265 74");
    let mut d = Decoder::new(DecoderConfig::default());
    assert_eq!(
        decode(&mut d, &wire),
        vec![("password".to_string(), "secret".to_string(), true)]
    );
    assert_eq!(d.table_len(), 0);
    let mut e = Encoder::new(config(false, IndexPolicy::Always));
    let mut out = Vec::new();
    e.encode([Header::sensitive(b"password", b"secret")], &mut out);
    assert_eq!(out, wire);
    assert_eq!(e.table_len(), 0);
}

#[test]
fn c2_4_indexed() {
    let mut d = Decoder::new(DecoderConfig::default());
    assert_eq!(decode(&mut d, &hex("82")), fields(&[(":method", "GET")]));
    let mut e = Encoder::new(EncoderConfig::default());
    assert_eq!(encode(&mut e, &[(":method", "GET")]), hex("82"));
}

const REQ1: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
];
const REQ2: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
    ("cache-control", "no-cache"),
];
const REQ3: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "https"),
    (":path", "/index.html"),
    (":authority", "www.example.com"),
    ("custom-key", "custom-value"),
];

fn request_sequence(huffman: bool, wires: [&str; 3]) {
    let mut d = Decoder::new(DecoderConfig::default());
    let mut e = Encoder::new(config(huffman, IndexPolicy::Auto));
    for ((list, wire), size) in [REQ1, REQ2, REQ3].iter().zip(wires).zip([57, 110, 164]) {
        let wire = hex(wire);
        assert_eq!(decode(&mut d, &wire), fields(list));
        assert_eq!(d.table_size().0, size);
        assert_eq!(encode(&mut e, list), wire);
        assert_eq!(e.table_size().0, size);
    }
}

#[test]
fn c3_requests_without_huffman() {
    request_sequence(
        false,
        [
            "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            "8286 84be 5808 6e6f 2d63 6163 6865",
            "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
        ],
    );
}

#[test]
fn c4_requests_with_huffman() {
    request_sequence(
        true,
        [
            "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
            "8286 84be 5886 a8eb 1064 9cbf",
            "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
        ],
    );
}

const RESP1: &[(&str, &str)] = &[
    (":status", "302"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("location", "https://www.example.com"),
];
const RESP2: &[(&str, &str)] = &[
    (":status", "307"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("location", "https://www.example.com"),
];
const RESP3: &[(&str, &str)] = &[
    (":status", "200"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
    ("location", "https://www.example.com"),
    ("content-encoding", "gzip"),
    (
        "set-cookie",
        "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
    ),
];

fn response_sequence(huffman: bool, wires: [&str; 3]) {
    let mut d = Decoder::new(DecoderConfig {
        max_table_size: 256,
        ..DecoderConfig::default()
    });
    let mut e = Encoder::new(config(huffman, IndexPolicy::Always));
    // The appendix assumes SETTINGS_HEADER_TABLE_SIZE = 256 is already in force; our
    // encoder, starting from the protocol's 4096, announces the change first (3fe101 is a
    // dynamic table size update to 256) and the rest is the appendix's block.
    e.set_max_table_size(256);
    for (i, ((list, wire), size)) in [RESP1, RESP2, RESP3]
        .iter()
        .zip(wires)
        .zip([222, 222, 215])
        .enumerate()
    {
        let wire = hex(wire);
        assert_eq!(decode(&mut d, &wire), fields(list));
        assert_eq!(d.table_size(), (size, 256));
        let mut got = encode(&mut e, list);
        if i == 0 {
            assert_eq!(got[..3], hex("3fe101")[..]);
            got.drain(..3);
        }
        assert_eq!(got, wire, "response {}", i + 1);
        assert_eq!(e.table_size(), (size, 256));
    }
}

#[test]
fn c5_responses_without_huffman() {
    response_sequence(
        false,
        [
            "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
             2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
             6c65 2e63 6f6d",
            "4803 3330 37c1 c0bf",
            "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
             54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
             5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
             3d31",
        ],
    );
}

#[test]
fn c6_responses_with_huffman() {
    response_sequence(
        true,
        [
            "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
             2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
            "4883 640e ffc1 c0bf",
            "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
             77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
             9587 3160 65c0 03ed 4ee5 b106 3d50 07",
        ],
    );
}
