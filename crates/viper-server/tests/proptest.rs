//! Property tests: whatever a peer sends, in whatever pieces, the connection does not
//! panic, reports `Closed` at most once, and keeps its output bounded; and how the
//! bytes of valid requests are split across reads does not change what the
//! application sees.

use proptest::prelude::*;
use viper_server::{Body, Config, Connection, Duration, Event, Instant};

fn t(ms: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(ms)
}

/// Feeds `data` in pieces of the given sizes, answering every request with a small
/// response; returns the request paths, the number of `Closed` events and the output.
fn drive(
    c: &mut Connection,
    data: &[u8],
    cuts: &[usize],
    eof: bool,
) -> (Vec<String>, usize, usize) {
    let mut paths = Vec::new();
    let mut closed = 0;
    let mut out = 0usize;
    let mut pending: Vec<u8> = Vec::new();
    let mut rest = data;
    let mut now = 0;
    let mut cut = cuts.iter().cycle();
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds < 100_000, "no progress");
        if !rest.is_empty() {
            let n = (*cut.next().unwrap_or(&1)).clamp(1, rest.len());
            pending.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
        }
        now += 1;
        c.handle_timeout(t(now));
        let used = c.receive(&pending);
        pending.drain(..used);
        let mut progressed = used > 0;
        while let Some(e) = c.poll_event() {
            progressed = true;
            match e {
                Event::Request(r) => {
                    paths.push(r.target.clone());
                    let _ = c.send_response(
                        r.id,
                        200,
                        &[("content-type", "text/plain")],
                        Body::Full(b"ok"),
                    );
                }
                Event::Closed { .. } => closed += 1,
                // Manual HTTP/2 flow control: consume some bodies, abandon others
                // (both are no-ops in automatic mode and on HTTP/1.1).
                Event::Data { id, data } if data.len() % 2 == 1 => c.release_body(id, data.len()),
                Event::Data { id, .. } => c.discard_body(id),
                _ => {}
            }
        }
        while let Some(b) = c.poll_transmit() {
            let n = b.len();
            assert!(
                n <= c.config().max_output_buffer + 64 * 1024,
                "output grew to {n}"
            );
            out += n;
            c.advance_transmit(n);
            progressed = true;
        }
        if rest.is_empty() && !progressed {
            break;
        }
    }
    if eof {
        c.receive_eof();
        while let Some(e) = c.poll_event() {
            if let Event::Closed { .. } = e {
                closed += 1;
            }
        }
        while let Some(b) = c.poll_transmit() {
            let n = b.len();
            out += n;
            c.advance_transmit(n);
        }
    }
    (paths, closed, out)
}

fn requests(paths: &[String]) -> Vec<u8> {
    let mut v = Vec::new();
    for p in paths {
        v.extend_from_slice(format!("GET {p} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes());
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Arbitrary bytes (with a bias towards HTTP-looking and preface-looking input).
    #[test]
    fn arbitrary_input_never_panics(
        prefix in prop_oneof![
            Just(Vec::new()),
            Just(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec()),
            Just(b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec()),
            Just(b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".to_vec()),
            Just(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n".to_vec()),
        ],
        body in proptest::collection::vec(any::<u8>(), 0..1024),
        cuts in proptest::collection::vec(1usize..64, 1..8),
        eof in any::<bool>(),
        manual_release in any::<bool>(),
    ) {
        let mut data = prefix;
        data.extend_from_slice(&body);
        let mut config = Config::default();
        config.h2.auto_release = !manual_release;
        let mut c = Connection::new(config, t(0));
        let (_, closed, _) = drive(&mut c, &data, &cuts, eof);
        prop_assert!(closed <= 1, "Closed reported {closed} times");
    }

    /// Pipelined requests split anywhere: the same requests, in order, all answered.
    #[test]
    fn h1_split_points_do_not_matter(
        paths in proptest::collection::vec("/[a-z0-9]{0,12}", 1..6),
        cuts in proptest::collection::vec(1usize..40, 1..8),
    ) {
        let data = requests(&paths);
        let mut whole = Connection::new(Config::default(), t(0));
        let (p1, _, out1) = drive(&mut whole, &data, &[data.len()], false);
        let mut split = Connection::new(Config::default(), t(0));
        let (p2, _, out2) = drive(&mut split, &data, &cuts, false);
        prop_assert_eq!(&p1, &paths);
        prop_assert_eq!(&p2, &paths);
        prop_assert_eq!(out1, out2);
    }
}
