//! viper-h2 through its sans-IO core in memory vs the `h2` crate over
//! `tokio::io::duplex`, doing the same work in the same run:
//! - `small_streams`: 100 GET requests on one connection, each answered with a
//!   5-byte body (requests/s);
//! - `large_data`: one 16 MiB response body (MB/s).
//!
//! The viper side includes a minimal client (HPACK-encoded requests, frame scanning,
//! HPACK-decoded response heads); the h2 side is h2's full client and server.

use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};
use viper_bench_support::{print_ratios, Pair};
use viper_core::Instant;
use viper_h2::frame::{flags, kind, write_header, FrameHeader, FRAME_HEADER_LEN, PREFACE};
use viper_h2::{Config, Connection, Event};
use viper_hpack::{Decoder, DecoderConfig, Encoder, EncoderConfig, Header};

const N: u32 = 100;
const BIG: usize = 16 << 20;

fn settings(dst: &mut Vec<u8>, entries: &[(u16, u32)]) {
    write_header(dst, entries.len() * 6, kind::SETTINGS, 0, 0);
    for (i, v) in entries {
        dst.extend_from_slice(&i.to_be_bytes());
        dst.extend_from_slice(&v.to_be_bytes());
    }
}

fn client_start(dst: &mut Vec<u8>) {
    dst.extend_from_slice(PREFACE);
    settings(dst, &[(4, 0x7fff_ffff)]);
    write_header(dst, 0, kind::SETTINGS, flags::ACK, 0);
    write_header(dst, 4, kind::WINDOW_UPDATE, 0, 0);
    dst.extend_from_slice(&(0x7fff_ffffu32 - 65_535).to_be_bytes());
}

fn request(enc: &mut Encoder, id: u32, dst: &mut Vec<u8>, scratch: &mut Vec<u8>) {
    scratch.clear();
    let f: [(&[u8], &[u8]); 4] = [
        (b":method", b"GET"),
        (b":scheme", b"http"),
        (b":authority", b"bench.local"),
        (b":path", b"/small"),
    ];
    enc.encode(
        f.iter().map(|(n, v)| Header {
            name: n,
            value: v,
            sensitive: false,
        }),
        scratch,
    );
    write_header(
        dst,
        scratch.len(),
        kind::HEADERS,
        flags::END_HEADERS | flags::END_STREAM,
        id,
    );
    dst.extend_from_slice(scratch);
}

/// Scans server output: decodes response heads, counts body bytes and ended streams.
struct Scan {
    dec: Decoder,
    buf: Vec<u8>,
    ended: u32,
    body: usize,
}

impl Scan {
    fn new() -> Self {
        Scan {
            dec: Decoder::new(DecoderConfig::default()),
            buf: Vec::new(),
            ended: 0,
            body: 0,
        }
    }
    fn feed(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
        let mut off = 0;
        while let Some(h) = FrameHeader::parse(&self.buf[off..]) {
            let end = off + FRAME_HEADER_LEN + h.length as usize;
            if end > self.buf.len() {
                break;
            }
            let p = &self.buf[off + FRAME_HEADER_LEN..end];
            match h.kind {
                kind::HEADERS => {
                    let mut status_ok = false;
                    self.dec
                        .decode(p, |f| {
                            status_ok |= f.name == b":status" && f.value == b"200"
                        })
                        .unwrap();
                    assert!(status_ok);
                }
                kind::DATA => self.body += p.len(),
                _ => {}
            }
            if h.flags & flags::END_STREAM != 0 && matches!(h.kind, kind::HEADERS | kind::DATA) {
                self.ended += 1;
            }
            off = end;
        }
        self.buf.drain(..off);
    }
}

fn feed_all(c: &mut Connection, mut b: &[u8]) {
    while !b.is_empty() {
        let n = c.receive(b);
        b = &b[n..];
        if n == 0 {
            while let Some(out) = c.poll_transmit() {
                let n = out.len();
                c.advance_transmit(n);
            }
        }
    }
}

fn viper_small() {
    let mut enc = Encoder::new(EncoderConfig::default());
    let mut input = Vec::with_capacity(8192);
    let mut scratch = Vec::new();
    client_start(&mut input);
    for i in 0..N {
        request(&mut enc, 2 * i + 1, &mut input, &mut scratch);
    }
    let mut c = Connection::new(Config::default(), Instant::ZERO);
    let mut scan = Scan::new();
    feed_all(&mut c, &input);
    while let Some(ev) = c.poll_event() {
        if let Event::Request { stream_id, .. } = ev {
            c.send_response(stream_id, 200, &[(b"content-type", b"text/plain")], false)
                .unwrap();
            c.send_data(stream_id, b"hello", true).unwrap();
        }
    }
    while let Some(out) = c.poll_transmit() {
        scan.feed(out);
        let n = out.len();
        c.advance_transmit(n);
    }
    assert_eq!(scan.ended, N);
}

fn viper_large(body: &[u8]) {
    let mut enc = Encoder::new(EncoderConfig::default());
    let mut input = Vec::new();
    let mut scratch = Vec::new();
    client_start(&mut input);
    request(&mut enc, 1, &mut input, &mut scratch);
    let mut c = Connection::new(Config::default(), Instant::ZERO);
    feed_all(&mut c, &input);
    while c.poll_event().is_some() {}
    c.send_response(
        1,
        200,
        &[(b"content-type", b"application/octet-stream")],
        false,
    )
    .unwrap();
    let mut scan = Scan::new();
    let mut off = 0;
    while off < body.len() || scan.ended == 0 {
        if off < body.len() {
            off += c.send_data(1, &body[off..], true).unwrap();
        }
        while let Some(out) = c.poll_transmit() {
            scan.feed(out);
            let n = out.len();
            c.advance_transmit(n);
        }
    }
    assert_eq!(scan.body, body.len());
}

async fn h2_pair() -> (
    h2::client::SendRequest<bytes::Bytes>,
    tokio::task::JoinHandle<()>,
) {
    let (a, b) = tokio::io::duplex(1 << 20);
    let server = tokio::spawn(async move {
        let mut conn = h2::server::Builder::new()
            .initial_window_size(0x7fff_ffff)
            .initial_connection_window_size(0x7fff_ffff)
            .handshake::<_, bytes::Bytes>(b)
            .await
            .unwrap();
        while let Some(Ok((req, mut respond))) = conn.accept().await {
            let big = req.uri().path() == "/big";
            let resp = http::Response::builder().status(200).body(()).unwrap();
            let mut send = respond.send_response(resp, false).unwrap();
            if big {
                let chunk = bytes::Bytes::from(vec![7u8; 1 << 20]);
                for i in 0..BIG >> 20 {
                    send.send_data(chunk.clone(), i == (BIG >> 20) - 1).unwrap();
                }
            } else {
                send.send_data(bytes::Bytes::from_static(b"hello"), true)
                    .unwrap();
            }
        }
    });
    let (client, conn) = h2::client::Builder::new()
        .initial_window_size(0x7fff_ffff)
        .initial_connection_window_size(0x7fff_ffff)
        .handshake::<_, bytes::Bytes>(a)
        .await
        .unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    (client, server)
}

async fn h2_small() {
    let (client, server) = h2_pair().await;
    let mut client = client.ready().await.unwrap();
    let mut futs = Vec::with_capacity(N as usize);
    for _ in 0..N {
        let req = http::Request::get("http://bench.local/small")
            .body(())
            .unwrap();
        let (resp, _) = client.send_request(req, true).unwrap();
        futs.push(resp);
        client = client.ready().await.unwrap();
    }
    for f in futs {
        let mut body = f.await.unwrap().into_body();
        while let Some(d) = body.data().await {
            let d = d.unwrap();
            body.flow_control().release_capacity(d.len()).unwrap();
        }
    }
    drop(client);
    let _ = server.await;
}

async fn h2_large() {
    let (client, server) = h2_pair().await;
    let mut client = client.ready().await.unwrap();
    let req = http::Request::get("http://bench.local/big")
        .body(())
        .unwrap();
    let (resp, _) = client.send_request(req, true).unwrap();
    let mut body = resp.await.unwrap().into_body();
    let mut n = 0;
    while let Some(d) = body.data().await {
        let d = d.unwrap();
        n += d.len();
        body.flow_control().release_capacity(d.len()).unwrap();
    }
    assert_eq!(n, BIG);
    // The client connection closes (and the server's accept loop ends) only once
    // every stream handle is gone.
    drop(body);
    drop(client);
    let _ = server.await;
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("h2_small_streams");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(u64::from(N)));
    g.bench_function("viper", |b| b.iter(viper_small));
    g.bench_function("h2", |b| b.iter(|| rt.block_on(h2_small())));
    g.finish();

    let body = vec![7u8; BIG];
    let mut g = c.benchmark_group("h2_large_data");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20);
    g.throughput(Throughput::Bytes(BIG as u64));
    g.bench_function("viper", |b| b.iter(|| viper_large(&body)));
    g.bench_function("h2", |b| b.iter(|| rt.block_on(h2_large())));
    g.finish();
}

criterion_group!(group, benches);

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    print_ratios(&[
        Pair {
            label: "100 small streams",
            viper: "h2_small_streams/viper",
            peer: "h2_small_streams/h2",
            peer_name: "h2",
        },
        Pair {
            label: "16 MiB DATA",
            viper: "h2_large_data/viper",
            peer: "h2_large_data/h2",
            peer_name: "h2",
        },
    ]);
}
