//! proptest: arbitrary header lists through encoder → decoder, across random table sizes,
//! size updates and encoder settings, come back identical (sensitivity included); and
//! arbitrary bytes never panic the decoder under arbitrary limits.

use proptest::prelude::*;
use viper_hpack::{Decoder, DecoderConfig, Encoder, EncoderConfig, Header, IndexPolicy};

#[derive(Debug, Clone)]
enum Step {
    Block(Vec<(Vec<u8>, Vec<u8>, bool)>),
    /// Both sides agree on a new SETTINGS_HEADER_TABLE_SIZE.
    TableSize(usize),
}

fn field() -> impl Strategy<Value = (Vec<u8>, Vec<u8>, bool)> {
    let name = prop_oneof![
        prop::sample::select(vec![
            ":method",
            ":path",
            ":authority",
            ":status",
            "cookie",
            "authorization",
            "content-length",
            "x-a",
            "x-b",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..16),
    ];
    let value = prop_oneof![
        prop::sample::select(vec!["", "GET", "/", "200", "a=1", "v"])
            .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
        prop::collection::vec(b'a'..=b'z', 0..300),
    ];
    (name, value, prop::bool::weighted(0.1))
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => prop::collection::vec(field(), 0..16).prop_map(Step::Block),
        1 => prop_oneof![Just(0usize), 0usize..600, 0usize..70_000].prop_map(Step::TableSize),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encoder_to_decoder_is_identity(
        steps in prop::collection::vec(step(), 1..12),
        encoder_max in prop_oneof![Just(4096usize), 0usize..8192],
        huffman: bool,
        policy in 0usize..3,
    ) {
        let indexing = [IndexPolicy::Auto, IndexPolicy::Always, IndexPolicy::Never][policy];
        let mut enc = Encoder::new(EncoderConfig {
            max_table_size: encoder_max,
            use_huffman: huffman,
            indexing,
            ..EncoderConfig::default()
        });
        let mut dec = Decoder::new(DecoderConfig {
            max_table_size: 4096,
            max_header_list_size: usize::MAX,
            max_header_count: usize::MAX,
        });
        for s in &steps {
            match s {
                Step::TableSize(n) => {
                    dec.set_max_table_size(*n);
                    enc.set_max_table_size(*n);
                }
                Step::Block(fields) => {
                    let mut block = Vec::new();
                    enc.encode(
                        fields.iter().map(|(n, v, s)| Header { name: n, value: v, sensitive: *s }),
                        &mut block,
                    );
                    let mut got = Vec::new();
                    dec.decode(&block, |h| got.push((h.name.to_vec(), h.value.to_vec(), h.sensitive)))
                        .unwrap();
                    prop_assert_eq!(got.len(), fields.len());
                    for (g, f) in got.iter().zip(fields) {
                        prop_assert_eq!((&g.0, &g.1), (&f.0, &f.1));
                        // Fields sent as sensitive arrive as sensitive.
                        prop_assert!(!f.2 || g.2);
                    }
                    prop_assert_eq!(enc.table_size(), dec.table_size());
                    prop_assert!(enc.table_size().0 <= enc.table_size().1);
                }
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        blocks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 1..5),
        table in 0usize..5000,
        list in 0usize..5000,
        count in 0usize..40,
    ) {
        let config = DecoderConfig { max_table_size: table, max_header_list_size: list, max_header_count: count };
        let mut dec = Decoder::new(config);
        for b in &blocks {
            let mut n = 0;
            let mut size = 0;
            let r = dec.decode(b, |h| { n += 1; size += h.size(); });
            prop_assert!(n <= count && size <= list);
            prop_assert!(dec.table_size().0 <= dec.table_size().1);
            prop_assert!(dec.table_size().1 <= table);
            if let Err(e) = r {
                if !e.is_limit() {
                    break;
                }
            }
        }
    }

    /// Blocks that are valid up to a point and then cut short never panic and never
    /// succeed with more fields than the whole block has.
    #[test]
    fn truncated_valid_blocks_never_panic(
        fields in prop::collection::vec(field(), 1..10),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut enc = Encoder::new(EncoderConfig::default());
        let mut block = Vec::new();
        enc.encode(fields.iter().map(|(n, v, s)| Header { name: n, value: v, sensitive: *s }), &mut block);
        let cut = cut.index(block.len());
        let mut dec = Decoder::new(DecoderConfig { max_header_list_size: usize::MAX, ..DecoderConfig::default() });
        let mut n = 0;
        let _ = dec.decode(&block[..cut], |_| n += 1);
        prop_assert!(n <= fields.len());
    }
}
