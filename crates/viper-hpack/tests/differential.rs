//! Differential tests against the `hpack` 0.3 crate on valid blocks: its decoder reads
//! what our encoder writes, our decoder reads what its encoder writes, and both decoders
//! agree on every block of the hpack-test-case corpus when it is present.

use proptest::prelude::*;
use viper_hpack::{Decoder, DecoderConfig, Encoder, EncoderConfig, Header, IndexPolicy};

type Fields = Vec<(Vec<u8>, Vec<u8>)>;

fn ours(d: &mut Decoder, block: &[u8]) -> Fields {
    let mut out = Vec::new();
    d.decode(block, |h| out.push((h.name.to_vec(), h.value.to_vec())))
        .expect("viper decodes");
    out
}

fn big_limits() -> DecoderConfig {
    DecoderConfig {
        max_header_list_size: usize::MAX,
        max_header_count: usize::MAX,
        ..DecoderConfig::default()
    }
}

fn header() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    let name = prop_oneof![
        prop::sample::select(vec![
            ":method",
            ":path",
            ":status",
            "content-type",
            "cookie",
            "user-agent",
            "x-id",
            "accept-encoding",
            "authorization",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..12),
    ];
    let value = prop_oneof![
        prop::sample::select(vec!["GET", "/", "200", "gzip, deflate", "text/html"])
            .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..40),
    ];
    (name, value)
}

fn blocks() -> impl Strategy<Value = Vec<Fields>> {
    prop::collection::vec(prop::collection::vec(header(), 0..12), 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn hpack_decodes_what_we_encode(blocks in blocks(), huffman: bool, policy in 0u8..3) {
        let indexing = [IndexPolicy::Auto, IndexPolicy::Always, IndexPolicy::Never][policy as usize];
        let mut enc = Encoder::new(EncoderConfig { use_huffman: huffman, indexing, ..EncoderConfig::default() });
        let mut peer = hpack::Decoder::new();
        for fields in &blocks {
            let mut block = Vec::new();
            enc.encode(fields.iter().map(|(n, v)| Header::new(n, v)), &mut block);
            let got = peer.decode(&block).expect("hpack decodes our block");
            prop_assert_eq!(&got, fields);
        }
    }

    #[test]
    fn we_decode_what_hpack_encodes(blocks in blocks()) {
        let mut peer = hpack::Encoder::new();
        let mut dec = Decoder::new(big_limits());
        let mut check = hpack::Decoder::new();
        for fields in &blocks {
            let block = peer.encode(fields.iter().map(|(n, v)| (&n[..], &v[..])));
            let got = ours(&mut dec, &block);
            prop_assert_eq!(&got, fields);
            prop_assert_eq!(got, check.decode(&block).unwrap());
        }
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Both decoders over wires of the corpus (which `hpack` can decode). The corpus is
/// found through `VIPER_SHARED` (default `../shared`); its absence fails the test unless
/// missing peers are allowed (viper-test-support).
#[test]
fn both_decoders_agree_on_the_corpus() {
    let Some(root) = viper_test_support::shared_path("data/hpack-test-case") else {
        return;
    };
    let dirs = std::fs::read_dir(&root).expect("read the hpack-test-case corpus");
    let mut compared = 0;
    for dir in dirs.flatten() {
        let name = dir.file_name();
        if name == "raw-data" || !dir.path().is_dir() {
            continue;
        }
        // The peer decoder is slow in debug builds: every eighth story of each encoder
        // keep this test to seconds (the conformance runner covers all of them).
        let mut stories: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        stories.sort();
        for story in stories.iter().step_by(8) {
            let text = std::fs::read_to_string(story).unwrap();
            // Pull out the "wire" strings without a JSON dependency.
            let mut dec = Decoder::new(big_limits());
            let mut peer = hpack::Decoder::new();
            let other_size = text.split("\"header_table_size\"").skip(1).any(|rest| {
                let rest = rest.trim_start_matches([' ', ':']);
                let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
                !digits.is_empty() && digits != "4096"
            });
            if other_size {
                // Table-size stories need SETTINGS plumbing the peer crate lacks.
                continue;
            }
            for part in text.split("\"wire\"").skip(1) {
                let start = part.find('"').unwrap() + 1;
                let end = start + part[start..].find('"').unwrap();
                let block = hex(&part[start..end]);
                let a = ours(&mut dec, &block);
                let b = peer.decode(&block).expect("hpack decodes the corpus");
                assert_eq!(a, b, "{}", story.display());
                compared += 1;
            }
        }
    }
    assert!(compared > 300, "{compared}");
}
