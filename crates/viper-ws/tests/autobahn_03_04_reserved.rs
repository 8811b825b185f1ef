//! Autobahn groups 3 (reserved bits) and 4 (opcodes); RFC 6455 §5.2.
mod common;
use common::*;
use viper_ws::{Error, Event, State};

/// 3.1–3.7: RSV1/2/3 combinations on text, binary, ping, close without an
/// extension → close 1002. 3.2: a text before the bad frame is still echoed.
#[test]
fn g3_reserved_bits_fail_with_1002() {
    for rsv in [0x40u8, 0x20, 0x60, 0x10, 0x50, 0x30, 0x70] {
        for op in [0x81u8, 0x82, 0x89, 0x88] {
            let mut s = server();
            let mut input = cframe(0x81, b"Hello, world!");
            input.extend(cframe(op | rsv, b""));
            input.extend(cframe(0x89, b""));
            let (evs, o) = echo(&mut s, &input);
            assert_eq!(
                evs,
                vec![
                    Event::Text("Hello, world!".into()),
                    Event::Error(Error::ReservedBits)
                ],
                "rsv {rsv:#x} op {op:#x}"
            );
            let mut expect = sframe(0x81, b"Hello, world!");
            expect.extend(close_bytes(1002));
            assert_eq!(o, expect);
            assert_eq!(s.state(), State::Closed);
        }
    }
}

/// 4.1.x / 4.2.x: reserved non-control (3–7) and control (11–15) opcodes.
#[test]
fn g4_reserved_opcodes_fail_with_1002() {
    for op in (3u8..=7).chain(11..=15) {
        for body in [&b""[..], b"reserved"] {
            let mut s = server();
            let mut input = cframe(0x81, b"hi");
            input.extend(cframe(0x80 | op, body));
            input.extend(cframe(0x89, b""));
            let (evs, o) = echo(&mut s, &input);
            assert_eq!(
                evs,
                vec![
                    Event::Text("hi".into()),
                    Event::Error(Error::ReservedOpcode(op))
                ]
            );
            let mut expect = sframe(0x81, b"hi");
            expect.extend(close_bytes(1002));
            assert_eq!(o, expect);
        }
    }
}

/// Fails on the header's first two bytes, before the payload arrives.
#[test]
fn reserved_opcode_detected_from_the_first_two_bytes() {
    let mut s = server();
    assert_eq!(s.receive(&[0x83, 0xfe]), 2);
    assert_eq!(s.poll_event(), Some(Event::Error(Error::ReservedOpcode(3))));
    assert_eq!(out(&mut s), close_bytes(1002));
}
