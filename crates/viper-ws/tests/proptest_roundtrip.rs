//! Property: any message sequence, fragmented at random, sent by either role
//! (with or without permessage-deflate) and delivered in random chunks, comes
//! out of the peer's decoder identical, with pings interleaved between
//! fragments.
mod common;
use common::*;
use proptest::prelude::*;
use viper_ws::{Config, DataKind, Event, Negotiated, WebSocket};

#[derive(Clone, Debug)]
enum Msg {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        any::<String>().prop_map(Msg::Text),
        "[a-c ]{0,3000}".prop_map(Msg::Text),
        proptest::collection::vec(any::<u8>(), 0..2000).prop_map(Msg::Binary),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Msg::Ping),
    ]
}

/// Splits `data` at the given cut fractions (kept in order).
fn split<'a>(data: &'a [u8], cuts: &[u16]) -> Vec<&'a [u8]> {
    let mut pos: Vec<usize> = cuts
        .iter()
        .map(|c| usize::from(*c) * data.len() / 1000)
        .collect();
    pos.sort_unstable();
    let mut out = Vec::new();
    let mut prev = 0;
    for p in pos {
        out.push(&data[prev..p]);
        prev = p;
    }
    out.push(&data[prev..]);
    out
}

fn run(
    msgs: &[(Msg, Vec<u16>)],
    ping_after: Option<u8>,
    client_sends: bool,
    deflate: bool,
    chunks: &[usize],
) -> Result<(), TestCaseError> {
    let n = if deflate {
        deflate_neg(params())
    } else {
        Negotiated::default()
    };
    let cfg = Config {
        max_queued_events: 4096,
        ..Config::default()
    };
    let (mut tx, mut rx) = if client_sends {
        (WebSocket::client(cfg, &n, 1234), WebSocket::server(cfg, &n))
    } else {
        (WebSocket::server(cfg, &n), WebSocket::client(cfg, &n, 1234))
    };
    let mut expect = Vec::new();
    for (m, cuts) in msgs {
        match m {
            Msg::Ping(p) => {
                tx.send_ping(p).unwrap();
                expect.push(Event::Ping(p.clone()));
            }
            Msg::Text(_) | Msg::Binary(_) => {
                let (kind, bytes, done) = match m {
                    Msg::Text(t) => (DataKind::Text, t.as_bytes(), Event::Text(t.clone())),
                    Msg::Binary(b) => (DataKind::Binary, &b[..], Event::Binary(b.clone())),
                    Msg::Ping(_) => unreachable!(),
                };
                // Fragment anywhere, even inside a code point; a ping goes
                // between two fragments when `ping_after` says so (§5.4: control
                // frames may be interleaved).
                let parts = split(bytes, cuts);
                for (i, p) in parts.iter().enumerate() {
                    let last = i == parts.len() - 1;
                    tx.send_fragment(kind, p, last).unwrap();
                    if !last && Some(i) == ping_after.map(|k| usize::from(k) % parts.len()) {
                        let ping = [i as u8; 3];
                        tx.send_ping(&ping).unwrap();
                        expect.push(Event::Ping(ping.to_vec()));
                    }
                }
                expect.push(done);
            }
        }
    }
    let wire = out(&mut tx);
    let mut got = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < wire.len() {
        let step = chunks
            .get(i % chunks.len().max(1))
            .copied()
            .unwrap_or(wire.len())
            .max(1);
        let end = (pos + step).min(wire.len());
        got.extend(feed(&mut rx, &wire[pos..end]));
        pos = end;
        i += 1;
    }
    prop_assert_eq!(got, expect);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn any_sequence_roundtrips(
        msgs in proptest::collection::vec((msg(), proptest::collection::vec(0u16..=1000, 0..5)), 0..12),
        ping_after in proptest::option::of(any::<u8>()),
        client_sends in any::<bool>(),
        deflate in any::<bool>(),
        chunks in proptest::collection::vec(1usize..700, 1..6),
    ) {
        run(&msgs, ping_after, client_sends, deflate, &chunks)?;
    }
}
