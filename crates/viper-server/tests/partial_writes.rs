//! The sans-IO contract's output half at the server: HTTP/1.1, HTTP/2 and WebSocket
//! output written with random partial lengths, between commands, is byte for byte what
//! writing everything gives. Driven only through the generic `viper_core` helpers
//! (`receive_with`, `transmit_with`), as any adapter would.

use proptest::prelude::*;
use viper_core::{receive_with, transmit_with, SansIo};
use viper_server::{Body, Config, Connection, Event, Instant, WsMessage};

fn write_some(c: &mut Connection, budget: usize, out: &mut Vec<u8>) {
    let mut left = budget;
    transmit_with(c, |b| {
        let n = left.min(b.len());
        left -= n;
        out.extend_from_slice(&b[..n]);
        n
    });
}

const WS_REQ: &[u8] = b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// HTTP/1.1: `n` requests answered with streamed bodies; then a WebSocket session
/// sending `msgs`. With `writes`, part of the output is written after each command.
fn run(bodies: &[Vec<u8>], msgs: &[Vec<u8>], writes: Option<&[usize]>) -> Vec<u8> {
    let mut c = Connection::new(Config::default(), Instant::ZERO);
    let mut out = Vec::new();
    let mut w = writes.map(|w| w.iter().cycle());
    let mut step = |c: &mut Connection, out: &mut Vec<u8>| {
        if let Some(it) = w.as_mut() {
            let n = *it.next().unwrap_or(&1);
            write_some(c, n, out);
        }
    };
    for b in bodies {
        let mut id = None;
        receive_with(&mut c, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", |_, e| {
            if let Event::Request(r) = e {
                id = Some(r.id);
            }
        });
        let id = id.expect("request");
        c.send_response(id, 200, &[] as &[(&str, &str)], Body::Streaming)
            .unwrap();
        step(&mut c, &mut out);
        let mut off = 0;
        while off < b.len() {
            let n = c.send_data(id, &b[off..]).unwrap();
            off += n;
            if n == 0 {
                write_some(&mut c, usize::MAX, &mut out);
            }
            step(&mut c, &mut out);
        }
        c.finish::<&str, &str>(id, &[]).unwrap();
        step(&mut c, &mut out);
    }
    let mut id = None;
    receive_with(&mut c, WS_REQ, |_, e| {
        if let Event::Request(r) = e {
            id = Some(r.id);
        }
    });
    let id = id.expect("ws request");
    c.accept_websocket(id, &[]).unwrap();
    for m in msgs {
        c.ws_send(id, &WsMessage::Binary(m.clone())).unwrap();
        step(&mut c, &mut out);
    }
    SansIo::close(&mut c);
    write_some(&mut c, usize::MAX, &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn partial_writes_resume_exactly(
        bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40_000), 0..4),
        msgs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20_000), 0..6),
        writes in proptest::collection::vec(0usize..9000, 1..12),
    ) {
        let whole = run(&bodies, &msgs, None);
        let parts = run(&bodies, &msgs, Some(&writes));
        prop_assert_eq!(whole, parts);
    }
}
