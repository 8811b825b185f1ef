//! Autobahn groups 12 and 13 (permessage-deflate); RFC 7692.
mod common;
use common::*;
use viper_ws::deflate::{DeflateConfig, DeflateParams};
use viper_ws::handshake::{accept, ClientHandshake, HandshakeError, ServerConfig};
use viper_ws::{Config, DataKind, Error, Event, WebSocket};

fn pair(p: DeflateParams) -> (WebSocket, WebSocket) {
    let n = deflate_neg(p);
    let cfg = Config {
        max_message_size: 16 << 20,
        max_frame_size: 16 << 20,
        ..Config::default()
    };
    (WebSocket::client(cfg, &n, 7), WebSocket::server(cfg, &n))
}

/// RFC 7692 §7.2.3.1–§7.2.3.4 frames, as a client receives them.
#[test]
fn rfc7692_7_2_3_examples_decode() {
    let cases: [&[u8]; 5] = [
        &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
        // §7.2.3.1 fragmented: "Hel" then "lo".
        &[
            0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
        ],
        // §7.2.3.3: a stored (uncompressed) DEFLATE block.
        &[
            0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ],
        // §7.2.3.4: a block with BFINAL set.
        &[0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
        // §7.2.3.5: two DEFLATE blocks in one message.
        &[
            0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07,
            0x00,
        ],
    ];
    for c in cases {
        let (mut cl, _) = pair(params());
        assert_eq!(
            feed(&mut cl, c),
            vec![Event::Text("Hello".into())],
            "{c:x?}"
        );
    }
    // §7.2.3.2: the same message twice with context takeover.
    let (mut cl, _) = pair(params());
    let mut input = vec![0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    input.extend([0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00]);
    assert_eq!(
        feed(&mut cl, &input),
        vec![Event::Text("Hello".into()), Event::Text("Hello".into())]
    );
}

/// Our server's compressed "Hello" ends without the 00 00 ff ff tail and sets RSV1.
#[test]
fn compressed_frame_shape() {
    let (_, mut s) = pair(params());
    s.send_text("Hello").unwrap();
    let o = out(&mut s);
    assert_eq!(o[0], 0xc1, "FIN + RSV1 + text");
    assert!(!o.ends_with(&[0, 0, 0xff, 0xff]));
    let (mut c, _) = pair(params());
    assert_eq!(feed(&mut c, &o), vec![Event::Text("Hello".into())]);
}

/// 12.x: many messages of many sizes echo through compression, both directions,
/// with context takeover and without.
#[test]
fn g12_g13_echo_with_various_parameters() {
    let variants = [
        params(),
        DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            ..params()
        },
        DeflateParams {
            server_max_window_bits: 9,
            client_max_window_bits: 9,
            ..params()
        },
        DeflateParams {
            server_max_window_bits: 12,
            client_max_window_bits: 8,
            level: 9,
            ..params()
        },
        DeflateParams {
            min_compress_size: 100,
            ..params()
        },
    ];
    for p in variants {
        let (mut c, mut s) = pair(p);
        for size in [0usize, 1, 16, 64, 256, 1024, 4096, 32768, 131072] {
            for round in 0..3u8 {
                let msg: String = (0..size)
                    .map(|i| (b'a' + ((i * 7 + usize::from(round)) % 11) as u8) as char)
                    .collect();
                c.send_text(&msg).unwrap();
                let wire = out(&mut c);
                if size >= p.min_compress_size && size > 0 {
                    assert_eq!(wire[0] & 0x40, 0x40, "compressed");
                }
                let evs = feed(&mut s, &wire);
                assert_eq!(evs, vec![Event::Text(msg.clone())], "{p:?} size {size}");
                s.send_binary(msg.as_bytes()).unwrap();
                let back = feed(&mut c, &out(&mut s));
                assert_eq!(back, vec![Event::Binary(msg.into_bytes())]);
            }
        }
    }
}

#[test]
fn context_takeover_shrinks_repeated_messages_and_no_takeover_does_not() {
    let msg = "The quick brown fox jumps over the lazy dog, again and again.";
    let (_, mut s) = pair(params());
    s.send_text(msg).unwrap();
    let first = out(&mut s).len();
    s.send_text(msg).unwrap();
    let second = out(&mut s).len();
    assert!(second < first / 2, "{second} vs {first}");
    let (_, mut s) = pair(DeflateParams {
        server_no_context_takeover: true,
        ..params()
    });
    s.send_text(msg).unwrap();
    let a = out(&mut s);
    s.send_text(msg).unwrap();
    assert_eq!(a, out(&mut s));
}

#[test]
fn compressed_fragmented_send_with_interleaved_ping() {
    let (mut c, mut s) = pair(params());
    let msg: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let parts: Vec<&[u8]> = msg.chunks(10_000).collect();
    for (i, p) in parts.iter().enumerate() {
        c.send_fragment(DataKind::Binary, p, i == parts.len() - 1)
            .unwrap();
        if i == 3 {
            c.send_ping(b"mid").unwrap();
        }
    }
    let evs = feed(&mut s, &out(&mut c));
    assert_eq!(evs, vec![Event::Ping(b"mid".to_vec()), Event::Binary(msg)]);
}

#[test]
fn decompression_bomb_stops_at_the_limit_with_1009() {
    let (mut c, _) = pair(params());
    c.send_binary(&vec![0u8; 8 << 20]).unwrap();
    let wire = out(&mut c);
    assert!(wire.len() < 64 * 1024);
    let cfg = Config {
        max_message_size: 1 << 20,
        ..Config::default()
    };
    let mut s = WebSocket::server(cfg, &deflate_neg(params()));
    assert_eq!(
        feed(&mut s, &wire),
        vec![Event::Error(Error::MessageTooLarge)]
    );
    assert_eq!(out(&mut s), close_bytes(1009));
}

#[test]
fn corrupt_deflate_data_is_1002() {
    let (_, mut s) = pair(params());
    // BTYPE=11 is reserved.
    assert_eq!(
        feed(&mut s, &cframe(0xc2, &[0xff, 0xff, 0xff])),
        vec![Event::Error(Error::Decompression)]
    );
    assert_eq!(out(&mut s), close_bytes(1002));
}

#[test]
fn invalid_utf8_inside_compressed_text_is_1007() {
    let (_, mut s) = pair(params());
    // A compressor would not emit this text frame; build it with a binary send.
    let (mut c, _) = pair(params());
    c.send_binary(&[0xce, 0xba, 0xff, 0x41]).unwrap();
    let mut wire = out(&mut c);
    wire[0] = (wire[0] & 0xf0) | 0x01;
    assert_eq!(feed(&mut s, &wire), vec![Event::Error(Error::InvalidUtf8)]);
    assert_eq!(out(&mut s), close_bytes(1007));
}

#[test]
fn rsv1_on_continuation_or_control_is_1002_even_with_deflate() {
    for bad in [cframe(0xc0, b""), cframe(0xc9, b"")] {
        let (_, mut s) = pair(params());
        let mut input = cframe(0x02, b"a");
        input.extend(bad);
        assert_eq!(
            feed(&mut s, &input),
            vec![Event::Error(Error::ReservedBits)]
        );
    }
}

// ---- negotiation (RFC 7692 §5, §7.1)

fn negotiate(offer: &str, cfg: DeflateConfig) -> Option<String> {
    let h: Vec<(&[u8], &[u8])> = vec![
        (b"Host", b"x"),
        (b"Upgrade", b"websocket"),
        (b"Connection", b"Upgrade"),
        (b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        (b"Sec-WebSocket-Version", b"13"),
        (b"Sec-WebSocket-Extensions", offer.as_bytes()),
    ];
    let a = accept(
        b"GET",
        (1, 1),
        h,
        &ServerConfig {
            deflate: Some(cfg),
            ..Default::default()
        },
    )
    .unwrap();
    a.headers
        .iter()
        .find(|(n, _)| *n == "Sec-WebSocket-Extensions")
        .map(|(_, v)| v.clone())
}

#[test]
fn g13_server_negotiation_responses() {
    let d = DeflateConfig::default();
    assert_eq!(
        negotiate("permessage-deflate", d).as_deref(),
        Some("permessage-deflate")
    );
    assert_eq!(
        negotiate("permessage-deflate; client_max_window_bits", d).as_deref(),
        Some("permessage-deflate")
    );
    assert_eq!(
        negotiate(
            "permessage-deflate; client_max_window_bits",
            DeflateConfig {
                client_max_window_bits: 10,
                ..d
            }
        )
        .as_deref(),
        Some("permessage-deflate; client_max_window_bits=10")
    );
    assert_eq!(
        negotiate(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            d
        )
        .as_deref(),
        Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
    );
    assert_eq!(
        negotiate(
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12",
            d
        )
        .as_deref(),
        Some("permessage-deflate; server_max_window_bits=10; client_max_window_bits=12")
    );
    // Invalid offers are declined; the next acceptable offer wins.
    for bad in [
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; client_no_context_takeover=1",
        "permessage-deflate; unknown_param",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "x-webkit-deflate-frame",
    ] {
        assert_eq!(negotiate(bad, d), None, "{bad}");
    }
    assert_eq!(
        negotiate(
            "permessage-deflate; foo, permessage-deflate; server_no_context_takeover",
            d
        )
        .as_deref(),
        Some("permessage-deflate; server_no_context_takeover")
    );
    // The server may impose its own no-context-takeover and window.
    assert_eq!(
        negotiate(
            "permessage-deflate",
            DeflateConfig {
                server_no_context_takeover: true,
                server_max_window_bits: 11,
                ..d
            }
        )
        .as_deref(),
        Some("permessage-deflate; server_no_context_takeover; server_max_window_bits=11")
    );
}

fn client_validate(
    offer: DeflateConfig,
    resp: &str,
) -> Result<Option<DeflateParams>, HandshakeError> {
    let c = ClientHandshake::new([1; 16]).deflate(offer);
    let accept = viper_ws::accept_key(c.headers()[2].1.as_bytes());
    let h: Vec<(&[u8], &[u8])> = vec![
        (b"Upgrade", b"websocket"),
        (b"Connection", b"Upgrade"),
        (b"Sec-WebSocket-Accept", accept.as_bytes()),
        (b"Sec-WebSocket-Extensions", resp.as_bytes()),
    ];
    c.validate_response(101, h).map(|n| n.deflate)
}

#[test]
fn g13_client_validates_the_response() {
    let d = DeflateConfig::default();
    let c = ClientHandshake::new([1; 16]).deflate(d);
    assert_eq!(
        c.headers()[4].1,
        "permessage-deflate; client_max_window_bits"
    );
    let p = client_validate(
        d,
        "permessage-deflate; server_max_window_bits=12; client_max_window_bits=10",
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (p.server_max_window_bits, p.client_max_window_bits),
        (12, 10)
    );
    let p = client_validate(d, "permessage-deflate; client_no_context_takeover")
        .unwrap()
        .unwrap();
    assert!(p.client_no_context_takeover);
    for bad in [
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; bogus",
        "permessage-deflate, permessage-deflate",
        "other-extension",
    ] {
        assert_eq!(
            client_validate(d, bad),
            Err(HandshakeError::InvalidExtension),
            "{bad}"
        );
    }
    // We asked for server_no_context_takeover: the server must confirm it.
    let want = DeflateConfig {
        server_no_context_takeover: true,
        ..d
    };
    assert_eq!(
        client_validate(want, "permessage-deflate"),
        Err(HandshakeError::InvalidExtension)
    );
    // We asked for a 10-bit server window: a larger one is refused.
    let want = DeflateConfig {
        server_max_window_bits: 10,
        ..d
    };
    assert_eq!(
        client_validate(want, "permessage-deflate; server_max_window_bits=11"),
        Err(HandshakeError::InvalidExtension)
    );
    assert!(client_validate(want, "permessage-deflate; server_max_window_bits=9").is_ok());
}
