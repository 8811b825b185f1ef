//! viper-sse vs eventsource-stream, same work, same run: parse an event
//! stream (typical JSON-payload events, and many-line events) delivered in
//! 4 KiB and 61-byte chunks. Encoding is measured alone (the peer has no
//! encoder). Run: `cargo bench -p viper-bench-sse`.

use std::convert::Infallible;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use eventsource_stream::Eventsource;
use futures_core::Stream;
use viper_bench_support::{print_ratios, Pair};
use viper_core::Instant;
use viper_sse::{ClientEvent, Encoder, EncoderConfig, Event, Parser};

const EVENTS: usize = 1000;

/// `EVENTS` events with a type, an id and a ~120-byte JSON data line.
fn json_stream() -> Vec<u8> {
    let mut enc = Encoder::new(
        EncoderConfig {
            max_pending_output: usize::MAX,
            ..EncoderConfig::default()
        },
        Instant::ZERO,
    );
    for i in 0..EVENTS {
        let data = format!(
            r#"{{"id":{i},"object":"chat.completion.chunk","choices":[{{"index":0,"delta":{{"content":"token {i}"}}}}],"model":"m"}}"#
        );
        let id = i.to_string();
        enc.send_event(&Event::data(&data).event("update").id(&id))
            .unwrap();
    }
    enc.poll_transmit().unwrap().to_vec()
}

/// `EVENTS / 10` events of 20 short data lines each.
fn multiline_stream() -> Vec<u8> {
    let mut enc = Encoder::new(
        EncoderConfig {
            max_pending_output: usize::MAX,
            ..EncoderConfig::default()
        },
        Instant::ZERO,
    );
    let body: String = (0..20).map(|i| format!("line number {i}\n")).collect();
    for _ in 0..EVENTS / 10 {
        enc.send_event(&Event::data(&body)).unwrap();
    }
    enc.poll_transmit().unwrap().to_vec()
}

fn viper_parse(chunks: &[&[u8]]) -> usize {
    let mut p = Parser::default();
    let mut n = 0;
    let mut bytes = 0;
    for chunk in chunks {
        let mut chunk = *chunk;
        while !chunk.is_empty() {
            let used = p.receive(chunk).unwrap();
            chunk = &chunk[used..];
            while let Some(ev) = p.poll_event() {
                if let ClientEvent::Message(m) = ev {
                    n += 1;
                    bytes += m.data.len();
                }
            }
        }
    }
    black_box(bytes);
    n
}

/// A stream over pre-cut chunks that is always ready.
struct Chunks<'a> {
    chunks: &'a [&'a [u8]],
    pos: usize,
}

impl<'a> Stream for Chunks<'a> {
    type Item = Result<&'a [u8], Infallible>;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = self.chunks.get(self.pos).copied();
        self.pos += 1;
        Poll::Ready(item.map(Ok))
    }
}

fn peer_parse(chunks: &[&[u8]]) -> usize {
    let mut s = Chunks { chunks, pos: 0 }.eventsource();
    let mut cx = Context::from_waker(Waker::noop());
    let mut n = 0;
    let mut bytes = 0;
    loop {
        match Pin::new(&mut s).poll_next(&mut cx) {
            Poll::Ready(Some(Ok(ev))) => {
                n += 1;
                bytes += ev.data.len();
            }
            Poll::Ready(Some(Err(e))) => panic!("peer error: {e}"),
            Poll::Ready(None) => break,
            Poll::Pending => unreachable!("the input stream is always ready"),
        }
    }
    black_box(bytes);
    n
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("sse_parse");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30);
    for (name, stream, events) in [
        ("json", json_stream(), EVENTS),
        ("multiline", multiline_stream(), EVENTS / 10),
    ] {
        for chunk in [4096usize, 61] {
            let chunks: Vec<&[u8]> = stream.chunks(chunk).collect();
            // Both sides must see the same events before we time them.
            assert_eq!(viper_parse(&chunks), events);
            assert_eq!(peer_parse(&chunks), events);
            let param = format!("{name}-{chunk}");
            g.throughput(Throughput::Bytes(stream.len() as u64));
            g.bench_with_input(BenchmarkId::new("viper", &param), &chunks, |b, ch| {
                b.iter(|| viper_parse(black_box(ch)))
            });
            g.bench_with_input(
                BenchmarkId::new("eventsource-stream", &param),
                &chunks,
                |b, ch| b.iter(|| peer_parse(black_box(ch))),
            );
        }
    }
    g.finish();
}

fn bench_encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("sse_encode");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30);
    let datas: Vec<String> = (0..EVENTS)
        .map(|i| format!(r#"{{"id":{i},"delta":"token {i}"}}"#))
        .collect();
    g.throughput(Throughput::Elements(EVENTS as u64));
    g.bench_function("viper/json", |b| {
        let mut out = Vec::with_capacity(1 << 17);
        b.iter(|| {
            out.clear();
            for (i, d) in datas.iter().enumerate() {
                let mut id = [0u8; 8];
                let id = fmt_id(i, &mut id);
                Event::data(d)
                    .event("update")
                    .id(id)
                    .encode_into(&mut out)
                    .unwrap();
            }
            black_box(out.len())
        })
    });
    g.finish();
}

fn fmt_id(mut i: usize, buf: &mut [u8; 8]) -> &str {
    let mut p = buf.len();
    loop {
        p -= 1;
        buf[p] = b'0' + (i % 10) as u8;
        i /= 10;
        if i == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[p..]).unwrap()
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_parse(&mut c);
    bench_encode(&mut c);
    c.final_summary();
    let pairs: Vec<(String, String, String)> =
        ["json-4096", "json-61", "multiline-4096", "multiline-61"]
            .iter()
            .map(|p| {
                (
                    format!("sse parse {p}"),
                    format!("sse_parse/viper/{p}"),
                    format!("sse_parse/eventsource-stream/{p}"),
                )
            })
            .collect();
    let pairs: Vec<Pair<'_>> = pairs
        .iter()
        .map(|(label, viper, peer)| Pair {
            label,
            viper,
            peer,
            peer_name: "eventsource-stream",
        })
        .collect();
    print_ratios(&pairs);
}
