//! Autobahn group 6 (UTF-8 handling); RFC 6455 §5.6, §8.1.
mod common;
use common::*;
use viper_ws::{Error, Event, State};

const VALID: &[&[u8]] = &[
    b"",
    b"\x7f",
    b"\xc2\x80",
    b"\xdf\xbf",
    b"\xe0\xa0\x80",
    b"\xed\x9f\xbf",
    b"\xee\x80\x80",
    b"\xef\xbf\xbd",
    b"\xef\xbf\xbf",
    b"\xf0\x90\x80\x80",
    b"\xf4\x8f\xbf\xbf",
    "κόσμε".as_bytes(),
    "Hello-µ@ßöäüàá-UTF-8!!".as_bytes(),
];

const INVALID: &[&[u8]] = &[
    b"\x80", // lone continuation
    b"\xbf",
    b"\xc0\xaf", // overlong '/'
    b"\xc1\xbf",
    b"\xe0\x80\xaf", // overlong
    b"\xe0\x9f\xbf",
    b"\xf0\x80\x80\xaf",
    b"\xf0\x8f\xbf\xbf",
    b"\xed\xa0\x80",     // surrogate U+D800
    b"\xed\xbf\xbf",     // U+DFFF
    b"\xf4\x90\x80\x80", // > U+10FFFF
    b"\xf5\x80\x80\x80",
    b"\xfe",
    b"\xff",
    b"\xc2\x41", // bad continuation
    b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64",
    b"\xc2", // truncated at end of message
    b"\xe0\xa0",
    b"\xf0\x90\x80",
];

/// 6.1–6.23: valid text echoes, in one frame and with every byte its own fragment.
#[test]
fn g6_valid_utf8_in_one_frame_and_per_byte_fragments() {
    for v in VALID {
        let mut s = server();
        let (evs, o) = echo(&mut s, &cframe(0x81, v));
        assert_eq!(
            evs,
            vec![Event::Text(String::from_utf8(v.to_vec()).unwrap())]
        );
        assert_eq!(o, sframe(0x81, v));
        if v.len() > 1 {
            let mut input = Vec::new();
            for (i, b) in v.iter().enumerate() {
                let op = if i == 0 { 0x01 } else { 0x00 };
                let fin = if i == v.len() - 1 { 0x80 } else { 0 };
                input.extend(cframe(op | fin, &[*b]));
            }
            let mut s = server();
            assert_eq!(echo(&mut s, &input).1, sframe(0x81, v));
        }
    }
}

/// Invalid text → close 1007, single frame, per-byte fragments, per-byte delivery.
#[test]
fn g6_invalid_utf8_fails_with_1007() {
    for v in INVALID {
        let mut s = server();
        let (evs, o) = echo(&mut s, &cframe(0x81, v));
        assert_eq!(evs, vec![Event::Error(Error::InvalidUtf8)], "{v:x?}");
        assert_eq!(o, close_bytes(1007));
        let mut input = Vec::new();
        for (i, b) in v.iter().enumerate() {
            let op = if i == 0 { 0x01 } else { 0x00 };
            let fin = if i == v.len() - 1 { 0x80 } else { 0 };
            input.extend(cframe(op | fin, &[*b]));
        }
        let mut s = server();
        assert_eq!(echo_bytewise(&mut s, &input).1, close_bytes(1007), "{v:x?}");
    }
}

/// 6.4.x: fail fast — the connection fails on the fragment carrying the
/// invalid byte, before the message's last fragment arrives.
#[test]
fn g6_4_fails_fast_on_the_invalid_fragment() {
    let mut s = server();
    let good = "κόσμε".as_bytes();
    assert!(feed(&mut s, &cframe(0x01, good)).is_empty());
    let evs = feed(&mut s, &cframe(0x00, b"\xf4\x90\x80\x80"));
    assert_eq!(evs, vec![Event::Error(Error::InvalidUtf8)]);
    assert_eq!(out(&mut s), close_bytes(1007));
    assert_eq!(s.state(), State::Closed);
    // And within one frame, on the chunk holding the bad byte (payload incomplete).
    let mut s = server();
    let f = cframe(
        0x81,
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
    );
    let cut = 6 + 11 + 2; // header + 11-byte valid prefix + two bytes of the surrogate
    assert!(feed(&mut s, &f[..cut - 1]).is_empty());
    assert_eq!(
        feed(&mut s, &f[cut - 1..cut]),
        vec![Event::Error(Error::InvalidUtf8)]
    );
}

/// A close reason must be UTF-8 too (7.5.1).
#[test]
fn g7_5_invalid_close_reason_fails_with_1007() {
    let mut s = server();
    let mut p = 1000u16.to_be_bytes().to_vec();
    p.extend_from_slice(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited");
    assert_eq!(
        feed(&mut s, &cframe(0x88, &p)),
        vec![Event::Error(Error::InvalidUtf8)]
    );
    assert_eq!(out(&mut s), close_bytes(1007));
}

/// Binary messages are not validated.
#[test]
fn binary_is_not_utf8_checked() {
    let mut s = server();
    assert_eq!(
        feed(&mut s, &cframe(0x82, b"\xff\xfe")),
        vec![Event::Binary(vec![0xff, 0xfe])]
    );
}
