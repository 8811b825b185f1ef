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
    b"\xef\xbf\xbe",             // 6.22: noncharacters are valid UTF-8
    b"\xf0\x9f\xbf\xbe",         // U+1FFFE
    b"\xf4\x8f\xbf\xbe",         // U+10FFFE
    b"\xed\x9f\xbf\xee\x80\x80", // 6.5/6.11: around the surrogate range
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
    b"\x80\xbf\x80\xbf", // 6.12: a run of continuation bytes
    b"\xc2\x20",         // 6.14: lone start byte followed by a space
    b"\xc0\x80",         // overlong NUL
    b"\xe0\x80\x80",
    b"\xf7\xbf\xbf\xbf",         // 6.10: U+1FFFFF
    b"\xf8\x88\x80\x80\x80",     // 6.17: 5-byte form
    b"\xfc\x84\x80\x80\x80\x80", // 6.18: 6-byte form
    b"\xc0\xe0\x80\xf0\x80\x80", // 6.19: concatenated incomplete sequences
    b"\xed\xad\xbf",             // 6.20: single surrogate U+DB7F
    b"\xed\xa0\x80\xed\xb0\x80", // 6.21: paired surrogates (CESU-8)
    b"\xc2",                     // truncated at end of message
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

/// Bytes that, together with any lead byte, cover every class a UTF-8
/// decoder must distinguish (ASCII, each continuation sub-range, each lead).
const PROBE: &[u8] = &[
    0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef,
    0xf0, 0xf4, 0xf5, 0xff,
];

/// The position (if any) of the first byte after which `s` can no longer be
/// the start of valid UTF-8, according to the standard library.
fn first_bad_byte(s: &[u8]) -> Option<usize> {
    (0..s.len())
        .find(|&i| matches!(std::str::from_utf8(&s[..=i]), Err(e) if e.error_len().is_some()))
}

/// Fed one byte at a time, the validator fails exactly on the byte where the
/// standard library says the prefix stops being valid, and accepts exactly
/// the complete sequences: every 1- and 2-byte sequence, and every 3- and
/// 4-byte sequence whose first two bytes are arbitrary and whose later bytes
/// come from [`PROBE`].
#[test]
fn g6_validator_fails_on_the_exact_byte_std_does() {
    let check = |s: &[u8]| {
        let mut v = viper_ws::Utf8Validator::new();
        let got = s.iter().position(|b| !v.feed(std::slice::from_ref(b)));
        assert_eq!(got, first_bad_byte(s), "{s:x?}");
        if got.is_none() {
            assert_eq!(v.is_complete(), std::str::from_utf8(s).is_ok(), "{s:x?}");
        }
        // Whole at once: same verdict.
        let mut w = viper_ws::Utf8Validator::new();
        let whole = w.feed(s) && w.is_complete();
        assert_eq!(whole, std::str::from_utf8(s).is_ok(), "{s:x?}");
    };
    for a in 0..=255u8 {
        check(&[a]);
        for b in 0..=255u8 {
            check(&[a, b]);
            if a >= 0xc0 {
                for &c in PROBE {
                    check(&[a, b, c]);
                    if a >= 0xf0 {
                        for &d in PROBE {
                            check(&[a, b, c, d]);
                        }
                    }
                }
            }
        }
    }
}

/// Through the connection: every 2-byte sequence as a text message split
/// into two 1-byte fragments gives a text event exactly when std accepts it,
/// and close 1007 otherwise.
#[test]
fn g6_every_two_byte_sequence_across_fragments() {
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            let mut input = cframe(0x01, &[a]);
            input.extend(cframe(0x80, &[b]));
            let mut s = server();
            let evs = feed(&mut s, &input);
            match std::str::from_utf8(&[a, b]) {
                Ok(t) => assert_eq!(evs, vec![Event::Text(t.into())]),
                Err(_) => {
                    assert_eq!(evs, vec![Event::Error(Error::InvalidUtf8)], "{a:x} {b:x}");
                    assert_eq!(out(&mut s), close_bytes(1007));
                }
            }
        }
    }
}
