//! Autobahn|Testsuite groups 1 (framing) and 2 (pings & pongs); RFC 6455 §5.2, §5.5.2–3.
mod common;
use common::*;
use viper_ws::{Config, Error, Event, State};

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'*' ^ (i as u8 & 0x0f)).collect()
}

/// 1.1.x / 1.2.x: text and binary of the boundary lengths echo exactly,
/// whether the bytes arrive at once or one by one.
#[test]
fn g1_text_and_binary_length_boundaries_echo_exactly() {
    for n in [0usize, 125, 126, 127, 128, 65535, 65536] {
        for (op, text) in [(0x81u8, true), (0x82, false)] {
            let p = payload(n);
            let input = cframe(op, &p);
            let mut ws = server();
            let (evs, o) = echo(&mut ws, &input);
            let expect = if text {
                Event::Text(String::from_utf8(p.clone()).unwrap())
            } else {
                Event::Binary(p.clone())
            };
            assert_eq!(evs, vec![expect], "len {n}");
            assert_eq!(o, sframe(op, &p), "echo of len {n}");
            if n <= 300 {
                let mut ws = server();
                let (evs2, o2) = echo_bytewise(&mut ws, &input);
                assert_eq!((evs2, o2), (evs.clone(), o.clone()), "bytewise len {n}");
            }
        }
    }
}

/// 1.1.8 / 1.2.8: a 65536-byte message arriving in 997-byte chunks.
#[test]
fn g1_1_8_and_1_2_8_payload_65536_in_997_byte_chunks() {
    for (op, text) in [(0x81u8, true), (0x82, false)] {
        let p = payload(65536);
        let input = cframe(op, &p);
        let mut ws = server();
        let mut evs = Vec::new();
        let mut o = Vec::new();
        for c in input.chunks(997) {
            let (e, x) = echo(&mut ws, c);
            evs.extend(e);
            o.extend(x);
        }
        let expect = if text {
            Event::Text(String::from_utf8(p.clone()).unwrap())
        } else {
            Event::Binary(p.clone())
        };
        assert_eq!(evs, vec![expect]);
        assert_eq!(o, sframe(op, &p));
    }
}

/// The exact header encodings of §5.2 for each length class.
#[test]
fn s5_2_length_encodings_on_the_wire() {
    let mut ws = server();
    ws.send_binary(&[0; 125]).unwrap();
    assert_eq!(&out(&mut ws)[..2], &[0x82, 125]);
    ws.send_binary(&[0; 126]).unwrap();
    assert_eq!(&out(&mut ws)[..4], &[0x82, 126, 0, 126]);
    ws.send_binary(&[0; 65536]).unwrap();
    assert_eq!(&out(&mut ws)[..10], &[0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
}

/// §5.7 examples, decoded by a client (unmasked) and a server (masked).
#[test]
fn s5_7_rfc_examples() {
    let mut c = client();
    assert_eq!(
        feed(&mut c, &[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
        vec![Event::Text("Hello".into())]
    );
    let mut s = server();
    assert_eq!(
        feed(
            &mut s,
            &[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        ),
        vec![Event::Text("Hello".into())]
    );
    // Fragmented unmasked text "Hel" + "lo".
    let mut c = client();
    assert_eq!(
        feed(
            &mut c,
            &[0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]
        ),
        vec![Event::Text("Hello".into())]
    );
    // Unmasked ping "Hello" and the masked pong the client answers with.
    let mut s = server();
    let evs = feed(
        &mut s,
        &[
            0x89, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ],
    );
    assert_eq!(evs, vec![Event::Ping(b"Hello".to_vec())]);
    assert_eq!(out(&mut s), [0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    // 256 bytes binary in a single unmasked frame: 0x82 0x7E 0x0100.
    let mut c = client();
    let mut f = vec![0x82, 0x7e, 0x01, 0x00];
    f.extend([0u8; 256]);
    assert_eq!(feed(&mut c, &f), vec![Event::Binary(vec![0; 256])]);
}

/// §5.3: a client masks every frame with a fresh key; the server can read it.
#[test]
fn s5_3_client_masks_and_server_unmasks() {
    let mut c = client();
    c.send_text("Hello").unwrap();
    c.send_text("Hello").unwrap();
    let wire = out(&mut c);
    assert_eq!(wire[0], 0x81);
    assert_eq!(wire[1], 0x85, "mask bit set");
    assert_ne!(&wire[2..6], &wire[13..17], "fresh key per frame");
    let mut s = server();
    assert_eq!(
        feed(&mut s, &wire),
        vec![Event::Text("Hello".into()), Event::Text("Hello".into())]
    );
}

#[test]
fn s5_1_masking_rules_by_role() {
    let mut s = server();
    let evs = feed(&mut s, &sframe(0x81, b"x"));
    assert_eq!(evs, vec![Event::Error(Error::UnmaskedFrame)]);
    assert_eq!(out(&mut s), close_bytes(1002));
    let mut c = client();
    let evs = feed(&mut c, &cframe(0x81, b"x"));
    assert_eq!(evs, vec![Event::Error(Error::MaskedFrame)]);
    let o = out(&mut c);
    assert_eq!(&o[..2], &[0x88, 0x82], "masked close with 2-byte payload");
    let mut p = [o[6], o[7]];
    viper_ws::apply_mask(&mut p, [o[2], o[3], o[4], o[5]], 0);
    assert_eq!(p, 1002u16.to_be_bytes());
}

#[test]
fn s5_2_non_minimal_lengths_are_protocol_errors() {
    let cases: [&[u8]; 3] = [
        &[0x82, 0xfe, 0x00, 0x7d, 1, 2, 3, 4], // 125 in 16 bits
        &[0x82, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4], // 65535 in 64 bits
        &[0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], // top bit set
    ];
    for c in cases {
        let mut s = server();
        assert_eq!(feed(&mut s, c), vec![Event::Error(Error::NonMinimalLength)]);
        assert_eq!(out(&mut s), close_bytes(1002));
        assert_eq!(s.state(), State::Closed);
    }
}

/// 2.1–2.3: ping without/with payload (incl. binary) → identical pong.
#[test]
fn g2_pings_get_identical_pongs() {
    for p in [
        &b""[..],
        b"Hello, world!",
        &[0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff],
    ] {
        let mut s = server();
        assert_eq!(
            feed(&mut s, &cframe(0x89, p)),
            vec![Event::Ping(p.to_vec())]
        );
        assert_eq!(out(&mut s), sframe(0x8a, p));
    }
}

/// 2.4: 125-byte ping is fine; 2.5: 126 bytes is a protocol error.
#[test]
fn g2_ping_payload_limits() {
    let mut s = server();
    let (_, o) = echo(&mut s, &cframe(0x89, &[0xfe; 125]));
    assert_eq!(o, sframe(0x8a, &[0xfe; 125]));
    let mut s = server();
    let evs = feed(&mut s, &cframe(0x89, &[0xfe; 126]));
    assert_eq!(evs, vec![Event::Error(Error::ControlFrameTooLong)]);
    assert_eq!(out(&mut s), close_bytes(1002));
}

/// 2.6: a 125-byte ping arriving in 1-byte chunks; 2.7/2.8: unsolicited pongs
/// are reported and not answered; 2.10: ten pings, ten pongs.
#[test]
fn g2_chopped_ping_unsolicited_pong_and_many_pings() {
    let mut s = server();
    let (_, o) = echo_bytewise(&mut s, &cframe(0x89, &[b'!'; 125]));
    assert_eq!(o, sframe(0x8a, &[b'!'; 125]));
    let mut s = server();
    let (evs, o) = echo(&mut s, &cframe(0x8a, b"unsolicited"));
    assert_eq!(evs, vec![Event::Pong(b"unsolicited".to_vec())]);
    assert!(o.is_empty());
    let mut input = Vec::new();
    let mut expect = Vec::new();
    for i in 0..10u8 {
        input.extend(cframe(0x89, &[i; 3]));
        expect.extend(sframe(0x8a, &[i; 3]));
    }
    let mut s = server();
    assert_eq!(echo(&mut s, &input).1, expect);
    // 2.11: the same ten pings, each chopped into 1-byte chunks.
    let mut s = server();
    assert_eq!(echo_bytewise(&mut s, &input).1, expect);
}

/// 2.9: an unsolicited pong, then a ping: only the ping is answered.
#[test]
fn g2_pong_then_ping() {
    let mut s = server();
    let mut input = cframe(0x8a, b"unsolicited pong payload");
    input.extend(cframe(0x89, b"ping payload"));
    assert_eq!(echo(&mut s, &input).1, sframe(0x8a, b"ping payload"));
}

#[test]
fn auto_pong_can_be_disabled() {
    let cfg = Config {
        auto_pong: false,
        ..Config::default()
    };
    let mut s = server_with(cfg);
    assert_eq!(
        feed(&mut s, &cframe(0x89, b"x")),
        vec![Event::Ping(b"x".to_vec())]
    );
    assert!(out(&mut s).is_empty());
    s.send_pong(b"x").unwrap();
    assert_eq!(out(&mut s), sframe(0x8a, b"x"));
}

#[test]
fn receive_applies_backpressure_on_the_event_queue() {
    let cfg = Config {
        max_queued_events: 2,
        ..Config::default()
    };
    let mut s = server_with(cfg);
    let mut input = Vec::new();
    for i in 0..5u8 {
        input.extend(cframe(0x82, &[i]));
    }
    let n = s.receive(&input);
    assert_eq!(n, 2 * 7, "stops after two events");
    assert_eq!(s.poll_event(), Some(Event::Binary(vec![0])));
    assert_eq!(feed(&mut s, &input[n..]).len(), 4);
}
