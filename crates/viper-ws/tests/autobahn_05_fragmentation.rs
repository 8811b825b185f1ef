//! Autobahn group 5 (fragmentation); RFC 6455 §5.4.
mod common;
use common::*;
use viper_ws::{DataKind, Error, Event, SendError};

/// 5.1/5.2: fragmented ping or pong → 1002.
#[test]
fn g5_fragmented_control_frames_fail() {
    for op in [0x09u8, 0x0a] {
        let mut s = server();
        let mut input = cframe(op, b"frag1");
        input.extend(cframe(0x80, b"frag2"));
        let (evs, o) = echo(&mut s, &input);
        assert_eq!(evs, vec![Event::Error(Error::FragmentedControlFrame)]);
        assert_eq!(o, close_bytes(1002));
    }
}

/// 5.3–5.5: text in two fragments, at once and chopped.
#[test]
fn g5_two_fragments() {
    let mut input = cframe(0x01, b"frag1");
    input.extend(cframe(0x80, b"frag2"));
    let mut s = server();
    let (evs, o) = echo(&mut s, &input);
    assert_eq!(evs, vec![Event::Text("frag1frag2".into())]);
    assert_eq!(o, sframe(0x81, b"frag1frag2"));
    let mut s = server();
    assert_eq!(echo_bytewise(&mut s, &input).1, sframe(0x81, b"frag1frag2"));
}

/// 5.6–5.8: a ping between the fragments is answered first.
#[test]
fn g5_ping_interleaved() {
    let mut input = cframe(0x01, b"fragment1");
    input.extend(cframe(0x89, b"ping payload"));
    input.extend(cframe(0x80, b"fragment2"));
    let mut expect = sframe(0x8a, b"ping payload");
    expect.extend(sframe(0x81, b"fragment1fragment2"));
    let mut s = server();
    let (evs, o) = echo(&mut s, &input);
    assert_eq!(evs[0], Event::Ping(b"ping payload".to_vec()));
    assert_eq!(o, expect);
    let mut s = server();
    assert_eq!(echo_bytewise(&mut s, &input).1, expect);
}

/// 5.9–5.14: continuation without a start → 1002 (with fin or without).
#[test]
fn g5_continuation_without_start() {
    for b0 in [0x80u8, 0x00] {
        let mut input = cframe(b0, b"non-continuation payload");
        input.extend(cframe(0x81, b"Hello, world!"));
        let mut s = server();
        let (evs, o) = echo(&mut s, &input);
        assert_eq!(evs, vec![Event::Error(Error::UnexpectedContinuation)]);
        assert_eq!(o, close_bytes(1002));
    }
}

/// 5.15–5.18: a new data frame while a message is in progress → 1002.
#[test]
fn g5_new_message_during_fragmented_one() {
    let mut input = cframe(0x01, b"fragment1");
    input.extend(cframe(0x01, b"fragment2"));
    let mut s = server();
    let (evs, o) = echo(&mut s, &input);
    assert_eq!(evs, vec![Event::Error(Error::ExpectedContinuation)]);
    assert_eq!(o, close_bytes(1002));
}

/// 5.19/5.20: many fragments with pings interleaved, including empty fragments.
#[test]
fn g5_many_fragments_with_pings() {
    let parts: [&[u8]; 5] = [b"fragment1", b"", b"fragment3", b"", b"fragment5"];
    let mut input = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let fin = if i == parts.len() - 1 { 0x80 } else { 0 };
        let op = if i == 0 { 0x01 } else { 0x00 };
        input.extend(cframe(fin | op, p));
        input.extend(cframe(0x89, &[b'p', i as u8]));
    }
    let mut s = server();
    let (evs, o) = echo(&mut s, &input);
    assert_eq!(evs.len(), 6);
    assert_eq!(evs[5], Event::Ping(vec![b'p', 4]));
    assert_eq!(evs[4], Event::Text("fragment1fragment3fragment5".into()));
    let mut expect = Vec::new();
    for i in 0..4u8 {
        expect.extend(sframe(0x8a, &[b'p', i]));
    }
    expect.extend(sframe(0x81, b"fragment1fragment3fragment5"));
    expect.extend(sframe(0x8a, &[b'p', 4]));
    assert_eq!(o, expect);
    // 5.20: the same, delivered one byte at a time.
    let mut s = server();
    let (evs2, o2) = echo_bytewise(&mut s, &input);
    assert_eq!((evs2, o2), (evs, expect));
}

/// Our encoder's fragments: first frame carries the opcode, then continuations.
#[test]
fn sending_fragments() {
    let mut s = server();
    s.send_fragment(DataKind::Text, "κό".as_bytes(), false)
        .unwrap();
    // A code point split across fragments is fine.
    s.send_fragment(DataKind::Text, &"σμε".as_bytes()[..1], false)
        .unwrap();
    s.send_ping(b"!").unwrap();
    s.send_fragment(DataKind::Text, &"σμε".as_bytes()[1..], true)
        .unwrap();
    let mut expect = sframe(0x01, "κό".as_bytes());
    expect.extend(sframe(0x00, &"σμε".as_bytes()[..1]));
    expect.extend(sframe(0x89, b"!"));
    expect.extend(sframe(0x80, &"σμε".as_bytes()[1..]));
    assert_eq!(out(&mut s), expect);
    s.send_fragment(DataKind::Binary, b"a", false).unwrap();
    assert_eq!(
        s.send_fragment(DataKind::Text, b"b", true),
        Err(SendError::KindMismatch)
    );
    assert_eq!(s.send_binary(b"x"), Err(SendError::MessageInProgress));
    // The kind is checked before the text, and nothing is queued.
    assert_eq!(
        s.send_fragment(DataKind::Text, &[0xff], true),
        Err(SendError::KindMismatch)
    );
    let mut s = server();
    assert_eq!(
        s.send_fragment(DataKind::Text, &[0xce], true),
        Err(SendError::InvalidUtf8)
    );
    assert_eq!(
        s.send_fragment(DataKind::Text, &[0xff], false),
        Err(SendError::InvalidUtf8)
    );
}
