//! viper-h1 through its full state machine versus bare `httparse` parsing the same
//! heads (the floor: httparse alone does no framing, validation or state keeping).
//!
//! cargo bench -p viper-bench-h1 --bench h1

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use viper_bench_support::{print_ratios, Pair};
use viper_h1::{Config, Connection, Event, Instant};

/// A typical browser navigation request (Firefox-like header set).
const BROWSER: &[u8] = b"GET /articles/2024/sans-io-http?ref=home&lang=en HTTP/1.1\r\n\
Host: www.example.com\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Referer: https://www.example.com/\r\n\
Connection: keep-alive\r\n\
Cookie: session=3f1a9c2b7d; theme=dark; consent=1\r\n\
Upgrade-Insecure-Requests: 1\r\n\
Sec-Fetch-Dest: document\r\n\
Sec-Fetch-Mode: navigate\r\n\
Sec-Fetch-Site: same-origin\r\n\
Sec-Fetch-User: ?1\r\n\
Priority: u=0, i\r\n\r\n";

const SMALL: &[u8] = b"GET /ping HTTP/1.1\r\nHost: a\r\n\r\n";

/// Drives one buffer of requests through `conn`, answering each with an empty 204;
/// returns the number of requests seen.
fn drive(conn: &mut Connection, input: &[u8]) -> usize {
    let mut seen = 0;
    let mut rest = input;
    while !rest.is_empty() {
        let n = conn.receive(rest);
        rest = &rest[n..];
        while let Some(ev) = conn.poll_event() {
            match ev {
                Event::Request(h) => {
                    black_box(&h);
                    seen += 1;
                }
                Event::End { .. } => {
                    conn.send_response(204, &[] as &[(&str, &str)]).unwrap();
                    conn.finish().unwrap();
                }
                other => panic!("{other:?}"),
            }
        }
        while let Some(out) = conn.take_transmit() {
            black_box(out);
        }
    }
    seen
}

/// Defaults, except that one connection serves every iteration.
fn config() -> Config {
    Config {
        max_requests_per_connection: 0,
        ..Config::default()
    }
}

fn httparse_all(input: &[u8]) -> usize {
    let mut seen = 0;
    let mut rest = input;
    while !rest.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(rest) {
            Ok(httparse::Status::Complete(n)) => {
                black_box(&req);
                rest = &rest[n..];
                seen += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    seen
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("h1_browser_head");
    g.throughput(Throughput::Bytes(BROWSER.len() as u64));
    let mut conn = Connection::server(config(), Instant::ZERO);
    g.bench_function("viper", |b| {
        b.iter(|| assert_eq!(drive(&mut conn, black_box(BROWSER)), 1))
    });
    g.bench_function("httparse", |b| {
        b.iter(|| assert_eq!(httparse_all(black_box(BROWSER)), 1))
    });
    g.finish();

    let pipelined: Vec<u8> = SMALL.repeat(100);
    let mut g = c.benchmark_group("h1_pipelined_100");
    g.throughput(Throughput::Elements(100));
    let mut conn = Connection::server(config(), Instant::ZERO);
    g.bench_function("viper", |b| {
        b.iter(|| assert_eq!(drive(&mut conn, black_box(&pipelined)), 100))
    });
    g.bench_function("httparse", |b| {
        b.iter(|| assert_eq!(httparse_all(black_box(&pipelined)), 100))
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    print_ratios(&[
        Pair {
            label: "h1 browser request head (full state machine vs parse only)",
            viper: "h1_browser_head/viper",
            peer: "h1_browser_head/httparse",
            peer_name: "httparse",
        },
        Pair {
            label: "h1 100 pipelined small requests",
            viper: "h1_pipelined_100/viper",
            peer: "h1_pipelined_100/httparse",
            peer_name: "httparse",
        },
    ]);
}
