//! viper-hpack against `hpack` 0.3 doing the same work in the same run: decode and encode
//! of a browser's first request, a repeat request on the same connection, and a typical
//! API response.
//!
//! Decode inputs are the blocks a browser-like encoder sends (Huffman strings, dynamic
//! table reuse), produced once by viper's encoder; both decoders then decode the same
//! bytes from the same connection state, with a sink that only sums the field lengths
//! (`hpack`'s borrowing `decode_with_cb`, its fastest path). Connection state (the first
//! request, for the repeat case) is prepared outside the timed part.
//!
//! Run: `cargo bench -p viper-bench-hpack`

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion};
use viper_bench_support::{print_ratios, Pair};
use viper_hpack::{Decoder, DecoderConfig, Encoder, EncoderConfig, Header};

type Set = &'static [(&'static str, &'static str)];

const BROWSER_FIRST: Set = &[
    (":method", "GET"),
    (":authority", "www.example.com"),
    (":scheme", "https"),
    (":path", "/"),
    ("sec-ch-ua", "\"Chromium\";v=\"130\", \"Google Chrome\";v=\"130\", \"Not?A_Brand\";v=\"99\""),
    ("sec-ch-ua-mobile", "?0"),
    ("sec-ch-ua-platform", "\"Linux\""),
    ("upgrade-insecure-requests", "1"),
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
    (
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    ),
    ("sec-fetch-site", "none"),
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-user", "?1"),
    ("sec-fetch-dest", "document"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("accept-language", "en-US,en;q=0.9,de;q=0.8"),
    ("cookie", "session=6f1c2a9e0b7d4c3f8a5e; theme=dark; _ga=GA1.1.123456789.1700000000"),
    ("priority", "u=0, i"),
];

const BROWSER_REPEAT: Set = &[
    (":method", "GET"),
    (":authority", "www.example.com"),
    (":scheme", "https"),
    (":path", "/static/app.3f9c1e.js"),
    ("sec-ch-ua", "\"Chromium\";v=\"130\", \"Google Chrome\";v=\"130\", \"Not?A_Brand\";v=\"99\""),
    ("sec-ch-ua-mobile", "?0"),
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
    ("sec-ch-ua-platform", "\"Linux\""),
    ("accept", "*/*"),
    ("sec-fetch-site", "same-origin"),
    ("sec-fetch-mode", "no-cors"),
    ("sec-fetch-dest", "script"),
    ("referer", "https://www.example.com/"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("accept-language", "en-US,en;q=0.9,de;q=0.8"),
    ("cookie", "session=6f1c2a9e0b7d4c3f8a5e; theme=dark; _ga=GA1.1.123456789.1700000000"),
    ("priority", "u=1"),
];

const API_RESPONSE: Set = &[
    (":status", "200"),
    ("date", "Sun, 22 Nov 2026 08:30:00 GMT"),
    ("content-type", "application/json; charset=utf-8"),
    ("content-length", "1843"),
    ("cache-control", "no-store"),
    ("vary", "accept-encoding, origin"),
    ("access-control-allow-origin", "https://app.example.com"),
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains; preload",
    ),
    ("x-request-id", "01JD3Q6W8Z4K2N7R5T9V1X3Y5A"),
    ("x-ratelimit-remaining", "4987"),
    ("server", "viper"),
    ("etag", "W/\"733-1a2b3c4d\""),
];

fn headers(set: Set) -> impl Iterator<Item = Header<'static>> {
    set.iter()
        .map(|(n, v)| Header::new(n.as_bytes(), v.as_bytes()))
}

fn pairs(set: Set) -> impl Iterator<Item = (&'static [u8], &'static [u8])> {
    set.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes()))
}

/// `(prior blocks on the connection, the block to measure)` as viper's encoder writes them.
fn blocks(prior: &[Set], set: Set) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut e = Encoder::new(EncoderConfig::default());
    let prior = prior
        .iter()
        .map(|p| {
            let mut b = Vec::new();
            e.encode(headers(p), &mut b);
            b
        })
        .collect();
    let mut b = Vec::new();
    e.encode(headers(set), &mut b);
    (prior, b)
}

fn viper_decoder(prior: &[Vec<u8>]) -> Decoder {
    let mut d = Decoder::new(DecoderConfig::default());
    for b in prior {
        d.decode(b, |_| {}).unwrap();
    }
    d
}

fn peer_decoder(prior: &[Vec<u8>]) -> hpack::Decoder<'static> {
    let mut d = hpack::Decoder::new();
    for b in prior {
        d.decode(b).unwrap();
    }
    d
}

fn bench(c: &mut Criterion) {
    let cases: [(&str, &[Set], Set); 3] = [
        ("browser_first", &[], BROWSER_FIRST),
        ("browser_repeat", &[BROWSER_FIRST], BROWSER_REPEAT),
        ("api_response", &[], API_RESPONSE),
    ];

    let mut g = c.benchmark_group("decode");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    for (name, prior, set) in cases {
        let (prior_blocks, block) = blocks(prior, set);
        // Both decoders agree before anything is timed.
        let mut check = Vec::new();
        viper_decoder(&prior_blocks)
            .decode(&block, |h| check.push((h.name.to_vec(), h.value.to_vec())))
            .unwrap();
        assert_eq!(check, peer_decoder(&prior_blocks).decode(&block).unwrap());

        g.bench_function(BenchmarkId::new("viper", name), |b| {
            b.iter_batched_ref(
                || viper_decoder(&prior_blocks),
                |d| {
                    let mut n = 0usize;
                    d.decode(black_box(&block), |h| n += h.name.len() + h.value.len())
                        .unwrap();
                    n
                },
                BatchSize::SmallInput,
            )
        });
        g.bench_function(BenchmarkId::new("hpack", name), |b| {
            b.iter_batched_ref(
                || peer_decoder(&prior_blocks),
                |d| {
                    let mut n = 0usize;
                    d.decode_with_cb(black_box(&block), |k, v| n += k.len() + v.len())
                        .unwrap();
                    n
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();

    let mut g = c.benchmark_group("encode");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    for (name, prior, set) in cases {
        // Default settings (Huffman when not longer), and without Huffman like `hpack`.
        for (id, use_huffman) in [("viper", true), ("viper_plain", false)] {
            let config = EncoderConfig {
                use_huffman,
                ..EncoderConfig::default()
            };
            g.bench_function(BenchmarkId::new(id, name), |b| {
                b.iter_batched_ref(
                    || {
                        let mut e = Encoder::new(config);
                        let mut scratch = Vec::new();
                        for p in prior {
                            e.encode(headers(p), &mut scratch);
                        }
                        (e, Vec::with_capacity(1024))
                    },
                    |(e, out)| {
                        e.encode(headers(black_box(set)), out);
                        out.len()
                    },
                    BatchSize::SmallInput,
                )
            });
        }
        g.bench_function(BenchmarkId::new("hpack", name), |b| {
            b.iter_batched_ref(
                || {
                    let mut e = hpack::Encoder::new();
                    for p in prior {
                        e.encode(pairs(p));
                    }
                    (e, Vec::with_capacity(1024))
                },
                |(e, out)| {
                    e.encode_into(pairs(black_box(set)), out).unwrap();
                    out.len()
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    let names = ["browser_first", "browser_repeat", "api_response"];
    let mut ids: Vec<(String, String, String)> = Vec::new();
    for (label, group, viper) in [
        ("decode", "decode", "viper"),
        ("encode", "encode", "viper"),
        ("encode(no huffman)", "encode", "viper_plain"),
    ] {
        for n in names {
            ids.push((
                format!("{label}/{n}"),
                format!("{group}/{viper}/{n}"),
                format!("{group}/hpack/{n}"),
            ));
        }
    }
    let pairs: Vec<Pair<'_>> = ids
        .iter()
        .map(|(label, viper, peer)| Pair {
            label,
            viper,
            peer,
            peer_name: "hpack",
        })
        .collect();
    print_ratios(&pairs);
}
