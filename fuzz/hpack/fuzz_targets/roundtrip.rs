//! Arbitrary header lists, encoded and decoded across several blocks with table-size
//! changes and every encoder setting, must come back identical.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use viper_hpack::{Decoder, DecoderConfig, Encoder, EncoderConfig, Header, IndexPolicy};

#[derive(Arbitrary, Debug)]
struct Field {
    name: Vec<u8>,
    value: Vec<u8>,
    sensitive: bool,
}

#[derive(Arbitrary, Debug)]
enum Step {
    Block(Vec<Field>),
    /// Both sides agree on a new SETTINGS_HEADER_TABLE_SIZE.
    TableSize(u16),
}

#[derive(Arbitrary, Debug)]
struct Input {
    encoder_max: u16,
    huffman: bool,
    policy: u8,
    steps: Vec<Step>,
}

fuzz_target!(|input: Input| {
    let policy = match input.policy % 3 {
        0 => IndexPolicy::Auto,
        1 => IndexPolicy::Always,
        _ => IndexPolicy::Never,
    };
    let mut encoder = Encoder::new(EncoderConfig {
        max_table_size: input.encoder_max as usize,
        use_huffman: input.huffman,
        indexing: policy,
        ..EncoderConfig::default()
    });
    let mut decoder = Decoder::new(DecoderConfig {
        max_table_size: 4096,
        max_header_list_size: usize::MAX,
        max_header_count: usize::MAX,
    });
    for step in &input.steps {
        match step {
            Step::TableSize(s) => {
                // The decoder announces it; once acked, the encoder learns it.
                decoder.set_max_table_size(*s as usize);
                encoder.set_max_table_size(*s as usize);
            }
            Step::Block(fields) => {
                let mut block = Vec::new();
                encoder.encode(
                    fields.iter().map(|f| Header {
                        name: &f.name,
                        value: &f.value,
                        sensitive: f.sensitive,
                    }),
                    &mut block,
                );
                let mut got: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
                decoder
                    .decode(&block, |h| got.push((h.name.to_vec(), h.value.to_vec())))
                    .expect("our own block must decode");
                assert_eq!(got.len(), fields.len());
                for (g, f) in got.iter().zip(fields) {
                    assert_eq!((&g.0, &g.1), (&f.name, &f.value));
                }
                assert_eq!(encoder.table_size(), decoder.table_size());
            }
        }
    }
});
