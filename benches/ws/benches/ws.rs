//! viper-ws vs tungstenite, same work, same run: decode + unmask (server
//! side, masked frames in; viper both with `receive`, which copies each
//! message out, and with the zero-copy `receive_in_place`), encode (client
//! side, masking), and an in-memory echo server (messages/s).
//! Run: `cargo bench -p viper-bench-ws -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use tungstenite::protocol::{Role as TRole, WebSocketConfig};
use tungstenite::Message;
use viper_bench_support::{print_ratios, Pair};
use viper_ws::{Config, Event, MessageRef, Negotiated, WebSocket};

const SIZES: [usize; 3] = [16, 1024, 65536];
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// An in-memory socket: reads from `input`, discards writes (counting them).
struct Mem {
    input: Vec<u8>,
    pos: usize,
    written: usize,
}

impl Read for Mem {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.input.len() - self.pos);
        if n == 0 {
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Mem {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.written += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn masked_frame(op: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x80 | op];
    let n = payload.len();
    if n < 126 {
        f.push(0x80 | n as u8);
    } else if n <= 0xffff {
        f.push(0x80 | 126);
        f.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        f.push(0x80 | 127);
        f.extend_from_slice(&(n as u64).to_be_bytes());
    }
    f.extend_from_slice(&KEY);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
    f
}

/// Frames per iteration: 64 KiB worth, at least 4 and at most 256 (256 × 16 B,
/// 64 × 1 KiB, 4 × 64 KiB).
fn batch(size: usize) -> usize {
    (65536 / size).clamp(4, 256)
}

fn ws_config() -> Config {
    Config {
        max_queued_events: 1024,
        max_frame_size: 1 << 20,
        ..Config::default()
    }
}

fn tung_config() -> WebSocketConfig {
    WebSocketConfig::default()
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    for size in SIZES {
        let payload: Vec<u8> = (0..size).map(|i| i as u8).collect();
        let one = masked_frame(0x2, &payload);
        let n = batch(size);
        let input: Vec<u8> = one.iter().copied().cycle().take(one.len() * n).collect();
        g.throughput(Throughput::Bytes((size * n) as u64));

        // Every contender first copies the input into its receive buffer:
        // the stand-in for the socket read that `Mem::read` does for
        // tungstenite.
        let mut buf = vec![0u8; input.len()];
        let mut ws = WebSocket::server(ws_config(), &Negotiated::default());
        g.bench_with_input(BenchmarkId::new("viper", size), &input, |b, input| {
            b.iter(|| {
                buf.copy_from_slice(input);
                let used = ws.receive(&buf);
                let mut total = 0;
                while let Some(e) = ws.poll_event() {
                    if let Event::Binary(m) = e {
                        total += m.len();
                    }
                }
                // Same check as tungstenite's `panic!` below: all work was done.
                assert_eq!((used, total), (input.len(), size * n));
                black_box(total)
            })
        });

        // Zero-copy: each message is unmasked in place and handed out as a
        // slice of `buf`.
        let mut ws = WebSocket::server(ws_config(), &Negotiated::default());
        g.bench_with_input(
            BenchmarkId::new("viper_in_place", size),
            &input,
            |b, input| {
                b.iter(|| {
                    buf.copy_from_slice(input);
                    let mut total = 0;
                    let mut rest = &mut buf[..];
                    while !rest.is_empty() {
                        let (used, msg) = ws.receive_in_place(rest);
                        if let Some(MessageRef::Binary(m)) = msg {
                            total += black_box(m).len();
                        }
                        rest = &mut rest[used..];
                    }
                    // Every message came out borrowed (none went to the queue).
                    assert_eq!(total, size * n);
                    black_box(total)
                })
            },
        );

        let mem = Mem {
            input: input.clone(),
            pos: 0,
            written: 0,
        };
        let mut tws =
            tungstenite::WebSocket::from_raw_socket(mem, TRole::Server, Some(tung_config()));
        g.bench_with_input(BenchmarkId::new("tungstenite", size), &n, |b, &n| {
            b.iter(|| {
                tws.get_mut().pos = 0;
                let mut total = 0;
                for _ in 0..n {
                    match tws.read() {
                        Ok(Message::Binary(m)) => total += m.len(),
                        other => panic!("{other:?}"),
                    }
                }
                black_box(total)
            })
        });
    }
    g.finish();
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    for size in SIZES {
        let payload: Vec<u8> = (0..size).map(|i| i as u8).collect();
        let n = batch(size);
        g.throughput(Throughput::Bytes((size * n) as u64));

        let mut ws = WebSocket::client(ws_config(), &Negotiated::default(), 1);
        g.bench_with_input(BenchmarkId::new("viper", size), &payload, |b, p| {
            b.iter(|| {
                for _ in 0..n {
                    ws.send_binary(p).unwrap();
                }
                let len = ws.poll_transmit().map_or(0, |t| t.len());
                ws.advance_transmit(len);
                black_box(len)
            })
        });

        let bytes = tungstenite::Bytes::from(payload.clone());
        let mem = Mem {
            input: Vec::new(),
            pos: 0,
            written: 0,
        };
        let mut tws =
            tungstenite::WebSocket::from_raw_socket(mem, TRole::Client, Some(tung_config()));
        g.bench_with_input(BenchmarkId::new("tungstenite", size), &bytes, |b, p| {
            b.iter(|| {
                for _ in 0..n {
                    tws.write(Message::Binary(p.clone())).unwrap();
                }
                tws.flush().unwrap();
                black_box(tws.get_ref().written)
            })
        });
    }
    g.finish();
}

fn echo(c: &mut Criterion) {
    let mut g = c.benchmark_group("echo");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    let text = "x".repeat(128);
    let one = masked_frame(0x1, text.as_bytes());
    let n = 256;
    let input: Vec<u8> = one.iter().copied().cycle().take(one.len() * n).collect();
    g.throughput(Throughput::Elements(n as u64));

    // As in `decode`, the viper servers copy the input into their receive
    // buffer first (tungstenite's in-memory socket read does the same).
    let mut buf = vec![0u8; input.len()];
    let mut ws = WebSocket::server(ws_config(), &Negotiated::default());
    g.bench_function("viper", |b| {
        b.iter(|| {
            buf.copy_from_slice(&input);
            let mut rest = &buf[..];
            while !rest.is_empty() {
                let used = ws.receive(rest);
                rest = &rest[used..];
                while let Some(e) = ws.poll_event() {
                    if let Event::Text(t) = e {
                        ws.send_text(&t).unwrap();
                    }
                }
            }
            let len = ws.poll_transmit().map_or(0, |t| t.len());
            ws.advance_transmit(len);
            black_box(len)
        })
    });

    // Zero-copy: each text is echoed straight from the receive buffer.
    let mut ws = WebSocket::server(ws_config(), &Negotiated::default());
    g.bench_function("viper_in_place", |b| {
        b.iter(|| {
            buf.copy_from_slice(&input);
            let mut rest = &mut buf[..];
            let mut echoed = 0;
            while !rest.is_empty() {
                let (used, msg) = ws.receive_in_place(rest);
                if let Some(MessageRef::Text(t)) = msg {
                    ws.send_text(t).unwrap();
                    echoed += 1;
                }
                while let Some(e) = ws.poll_event() {
                    if let Event::Text(t) = e {
                        ws.send_text(&t).unwrap();
                        echoed += 1;
                    }
                }
                rest = &mut rest[used..];
            }
            assert_eq!(echoed, n);
            let len = ws.poll_transmit().map_or(0, |t| t.len());
            ws.advance_transmit(len);
            black_box(len)
        })
    });

    let mem = Mem {
        input: input.clone(),
        pos: 0,
        written: 0,
    };
    let mut tws = tungstenite::WebSocket::from_raw_socket(mem, TRole::Server, Some(tung_config()));
    g.bench_function("tungstenite", |b| {
        b.iter(|| {
            tws.get_mut().pos = 0;
            for _ in 0..n {
                let m = tws.read().unwrap();
                tws.write(m).unwrap();
            }
            tws.flush().unwrap();
            black_box(tws.get_ref().written)
        })
    });
    g.finish();
}

criterion_group!(benches, decode, encode, echo);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let labels: Vec<(String, String, String)> = SIZES
        .iter()
        .flat_map(|s| {
            [
                ("decode", "viper"),
                ("decode_in_place", "viper_in_place"),
                ("encode", "viper"),
            ]
            .map(|(label, viper)| {
                let g = if label == "encode" {
                    "encode"
                } else {
                    "decode"
                };
                (
                    format!("{label}/{s}"),
                    format!("{g}/{viper}/{s}"),
                    format!("{g}/tungstenite/{s}"),
                )
            })
        })
        .chain([
            (
                "echo/128B".to_string(),
                "echo/viper".to_string(),
                "echo/tungstenite".to_string(),
            ),
            (
                "echo_in_place/128B".to_string(),
                "echo/viper_in_place".to_string(),
                "echo/tungstenite".to_string(),
            ),
        ])
        .collect();
    let pairs: Vec<Pair<'_>> = labels
        .iter()
        .map(|(l, v, p)| Pair {
            label: l,
            viper: v,
            peer: p,
            peer_name: "tungstenite",
        })
        .collect();
    print_ratios(&pairs);
}
