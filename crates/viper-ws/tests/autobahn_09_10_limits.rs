//! Autobahn groups 9 (limits, large messages) and 10 (misc: fragmented
//! sending); RFC 6455 §10.4 (→ close 1009).
mod common;
use common::*;
use viper_ws::{Config, DataKind, Error, Event, Negotiated, WebSocket};

fn big(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

/// 9.1.x/9.2.x: large text/binary in one frame; 9.3.x/9.4.x: chopped into
/// fragments of various sizes; 9.5/9.6: delivered in small chunks.
#[test]
fn g9_large_messages_single_and_fragmented() {
    let cfg = Config {
        max_frame_size: 4 << 20,
        max_message_size: 4 << 20,
        ..echo_config()
    };
    let msg = big(1 << 20);
    for frag in [64usize, 4096, 65536, 1 << 20] {
        let mut input = Vec::new();
        let n = msg.len().div_ceil(frag);
        for (i, c) in msg.chunks(frag).enumerate() {
            let op = if i == 0 { 0x01 } else { 0x00 };
            let fin = if i == n - 1 { 0x80 } else { 0 };
            input.extend(cframe(op | fin, c));
        }
        let mut s = server_with(cfg);
        let (evs, o) = echo(&mut s, &input);
        assert_eq!(evs.len(), 1);
        assert_eq!(o, sframe(0x81, &msg), "frag {frag}");
        // Chunked delivery.
        let mut s = server_with(cfg);
        for c in input.chunks(997) {
            for e in feed(&mut s, c) {
                assert_eq!(e, Event::Text(String::from_utf8(msg.clone()).unwrap()));
            }
        }
    }
}

#[test]
fn g9_frame_over_limit_is_1009_from_the_header() {
    let cfg = Config {
        max_frame_size: 1000,
        ..Config::default()
    };
    let mut s = server_with(cfg);
    let f = cframe(0x82, &[0; 1001]);
    // Only the header is needed to decide.
    assert_eq!(
        feed(&mut s, &f[..8]),
        vec![Event::Error(Error::FrameTooLarge)]
    );
    assert_eq!(out(&mut s), close_bytes(1009));
}

#[test]
fn g9_message_over_limit_across_fragments_is_1009() {
    let cfg = Config {
        max_frame_size: 1000,
        max_message_size: 2500,
        ..Config::default()
    };
    let mut s = server_with(cfg);
    let mut input = cframe(0x02, &[1; 1000]);
    input.extend(cframe(0x00, &[1; 1000]));
    assert!(feed(&mut s, &input).is_empty());
    assert_eq!(
        feed(&mut s, &cframe(0x80, &[1; 501])),
        vec![Event::Error(Error::MessageTooLarge)]
    );
    assert_eq!(out(&mut s), close_bytes(1009));
    // Exactly at the limit is fine.
    let mut s = server_with(cfg);
    input.extend(cframe(0x80, &[1; 500]));
    assert_eq!(feed(&mut s, &input), vec![Event::Binary(vec![1; 2500])]);
}

#[test]
fn huge_64_bit_length_is_rejected_without_allocating() {
    let mut s = server();
    let f = [
        0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4,
    ];
    assert_eq!(feed(&mut s, &f), vec![Event::Error(Error::FrameTooLarge)]);
}

/// 10.1: a large message we send in fragments arrives whole at the peer.
#[test]
fn g10_fragmented_send_reassembles() {
    let msg = big(300_000);
    let mut c = client();
    let parts: Vec<&[u8]> = msg.chunks(65_536).collect();
    for (i, p) in parts.iter().enumerate() {
        c.send_fragment(DataKind::Binary, p, i == parts.len() - 1)
            .unwrap();
    }
    let wire = out(&mut c);
    let mut s = WebSocket::server(Config::default(), &Negotiated::default());
    assert_eq!(feed(&mut s, &wire), vec![Event::Binary(msg)]);
}

#[test]
fn send_is_refused_while_output_is_over_the_limit() {
    let cfg = Config {
        max_pending_output: 100,
        ..Config::default()
    };
    let mut s = server_with(cfg);
    s.send_binary(&[0; 200]).unwrap();
    assert_eq!(s.send_binary(b"x"), Err(viper_ws::SendError::WouldBlock));
    // Auto-pong is skipped rather than growing the buffer.
    assert_eq!(
        feed(&mut s, &cframe(0x89, b"p")),
        vec![Event::Ping(b"p".to_vec())]
    );
    let pending = s.poll_transmit().unwrap().len();
    assert_eq!(pending, 204);
    s.advance_transmit(150);
    assert_eq!(s.poll_transmit().unwrap().len(), 54);
    s.advance_transmit(54);
    assert!(s.poll_transmit().is_none());
    s.send_binary(b"x").unwrap();
}
