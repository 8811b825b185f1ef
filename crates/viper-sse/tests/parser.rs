//! The WHATWG "interpreting an event stream" rules, one case each, through
//! the public API. Every case is also run byte by byte and at every split
//! point of the input, and must give the same events.

use viper_core::Duration;
use viper_sse::{ClientEvent, MessageEvent, ParseError, Parser, ParserConfig};

fn feed(p: &mut Parser, mut input: &[u8], out: &mut Vec<ClientEvent>) {
    while !input.is_empty() {
        let n = p.receive(input).expect("no limit is hit");
        input = &input[n..];
        while let Some(e) = p.poll_event() {
            out.push(e);
        }
    }
}

/// Events from `input` fed whole; asserts the byte-by-byte and two-chunk
/// feeds agree.
fn parse(input: &[u8]) -> Vec<ClientEvent> {
    let mut whole = Vec::new();
    let mut p = Parser::default();
    feed(&mut p, input, &mut whole);
    p.finish();
    while let Some(e) = p.poll_event() {
        whole.push(e);
    }

    let mut bytewise = Vec::new();
    let mut p = Parser::default();
    for b in input {
        feed(&mut p, core::slice::from_ref(b), &mut bytewise);
    }
    assert_eq!(whole, bytewise, "byte-by-byte feed differs");

    for i in 0..=input.len() {
        let mut split = Vec::new();
        let mut p = Parser::default();
        feed(&mut p, &input[..i], &mut split);
        feed(&mut p, &input[i..], &mut split);
        assert_eq!(whole, split, "split at {i} differs");
    }
    whole
}

fn msg(event_type: &str, data: &str, id: &str) -> ClientEvent {
    ClientEvent::Message(MessageEvent {
        event_type: event_type.into(),
        data: data.into(),
        last_event_id: id.into(),
    })
}

fn data_of(events: &[ClientEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Message(m) => Some(m.data.clone()),
            ClientEvent::Retry(_) => None,
        })
        .collect()
}

#[test]
fn spec_example_stock_ticker() {
    assert_eq!(
        parse(b"data: YHOO\ndata: +2\ndata: 10\n\n"),
        [msg("message", "YHOO\n+2\n10", "")]
    );
}

#[test]
fn spec_example_comment_ids_and_unterminated_event() {
    let stream = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n";
    assert_eq!(
        parse(stream),
        [
            msg("message", "first event", "1"),
            msg("message", "second event", "")
        ]
    );
}

#[test]
fn spec_example_empty_data_lines() {
    // Two events: "" and "\n"; the last block never ends.
    assert_eq!(
        parse(b"data\n\ndata\ndata\n\ndata:"),
        [msg("message", "", ""), msg("message", "\n", "")]
    );
}

#[test]
fn spec_example_space_after_colon_is_optional() {
    assert_eq!(
        parse(b"data:test\n\ndata: test\n\n"),
        [msg("message", "test", ""), msg("message", "test", "")]
    );
}

#[test]
fn only_one_space_is_removed_and_colons_stay_in_values() {
    assert_eq!(
        parse(b"data:  two\n\ndata: a:b: c\n\ndata:\tx\n\n"),
        [
            msg("message", " two", ""),
            msg("message", "a:b: c", ""),
            msg("message", "\tx", "")
        ]
    );
}

#[test]
fn one_leading_bom_is_stripped() {
    assert_eq!(parse(b"\xEF\xBB\xBFdata: a\n\n"), [msg("message", "a", "")]);
    // A second BOM belongs to the field name, so the line is ignored.
    assert_eq!(parse(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\n"), []);
    // A BOM later in the stream is not special either.
    assert_eq!(parse(b"\n\xEF\xBB\xBFdata: a\n\n"), []);
    // In a value it is kept as U+FEFF.
    assert_eq!(
        parse(b"data: \xEF\xBB\xBFa\n\n"),
        [msg("message", "\u{FEFF}a", "")]
    );
}

#[test]
fn bom_split_across_chunks_is_stripped() {
    let mut p = Parser::default();
    let mut out = Vec::new();
    for chunk in [&b"\xEF"[..], b"\xBB", b"\xBFdata: x\n\n"] {
        feed(&mut p, chunk, &mut out);
    }
    assert_eq!(out, [msg("message", "x", "")]);
}

#[test]
fn invalid_utf8_is_replaced() {
    assert_eq!(
        parse(b"data: a\xFFb\n\n"),
        [msg("message", "a\u{FFFD}b", "")]
    );
    // A truncated sequence is one maximal subpart: one U+FFFD.
    assert_eq!(
        parse(b"data: \xE2\x82\n\n"),
        [msg("message", "\u{FFFD}", "")]
    );
    // Surrogates and overlongs: one U+FFFD per byte.
    assert_eq!(
        parse(b"data: \xED\xA0\x80|\xC0\xAF\n\n"),
        [msg(
            "message",
            "\u{FFFD}\u{FFFD}\u{FFFD}|\u{FFFD}\u{FFFD}",
            ""
        )]
    );
    // Multi-byte characters survive any chunking (parse() checks every split).
    assert_eq!(
        parse("data: é€😀\n\n".as_bytes()),
        [msg("message", "é€😀", "")]
    );
}

#[test]
fn cr_lf_and_crlf_all_end_lines() {
    for stream in [
        &b"data: a\ndata: b\n\n"[..],
        b"data: a\rdata: b\r\r",
        b"data: a\r\ndata: b\r\n\r\n",
        b"data: a\rdata: b\n\r\n",
        b"data: a\r\ndata: b\r\r",
    ] {
        assert_eq!(parse(stream), [msg("message", "a\nb", "")], "{stream:?}");
    }
    // LF CR is two line ends: a blank line.
    assert_eq!(
        parse(b"data: a\n\rdata: b\n\n"),
        [msg("message", "a", ""), msg("message", "b", "")]
    );
}

#[test]
fn cr_at_chunk_end_and_lf_at_next_chunk_start_is_one_line_end() {
    let mut p = Parser::default();
    let mut out = Vec::new();
    feed(&mut p, b"data: a\r", &mut out);
    feed(&mut p, b"\ndata: b\r", &mut out);
    feed(&mut p, b"\n", &mut out);
    assert_eq!(out, []);
    feed(&mut p, b"\r", &mut out);
    assert_eq!(out, [msg("message", "a\nb", "")]);
    // An empty chunk between CR and LF changes nothing.
    let mut p = Parser::default();
    let mut out = Vec::new();
    for chunk in [&b"data: a\r"[..], b"", b"\n", b"\n"] {
        feed(&mut p, chunk, &mut out);
        assert_eq!(p.receive(b"").unwrap(), 0);
    }
    assert_eq!(out, [msg("message", "a", "")]);
}

#[test]
fn data_is_joined_with_lf_and_last_lf_removed() {
    assert_eq!(
        parse(b"data: a\ndata:\ndata: b\ndata\n\n"),
        [msg("message", "a\n\nb\n", "")]
    );
}

#[test]
fn event_type_defaults_to_message_and_resets_after_dispatch() {
    assert_eq!(
        parse(
            b"event: add\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\nevent: a\nevent: b\ndata: 4\n\n"
        ),
        [
            msg("add", "1", ""),
            msg("message", "2", ""),
            msg("message", "3", ""),
            msg("b", "4", "")
        ]
    );
}

#[test]
fn nothing_is_dispatched_for_an_empty_data_buffer_and_type_is_reset() {
    assert_eq!(parse(b"event: x\n\ndata: y\n\n"), [msg("message", "y", "")]);
    assert_eq!(parse(b"\n\n\n: c\n\nid: 1\n\nretry: x\n\n"), []);
}

#[test]
fn id_sets_last_event_id_kept_across_events() {
    assert_eq!(
        parse(b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 7\n\ndata: d\n\n"),
        [
            msg("message", "a", "1"),
            msg("message", "b", "1"),
            msg("message", "c", ""),
            msg("message", "d", "7")
        ]
    );
}

#[test]
fn id_containing_nul_is_ignored() {
    assert_eq!(
        parse(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"),
        [msg("message", "a", "1"), msg("message", "b", "1")]
    );
}

#[test]
fn last_event_id_is_updated_by_dispatch_even_without_data() {
    let mut p = Parser::default();
    p.receive(b"id: 5\n").unwrap();
    assert_eq!(p.last_event_id(), "");
    p.receive(b"\n").unwrap();
    assert_eq!(p.last_event_id(), "5");
    assert_eq!(p.poll_event(), None);
}

#[test]
fn retry_only_when_all_ascii_digits() {
    let evs = parse(
        b"retry: 1500\nretry: 10a\nretry: -1\nretry: 1.5\nretry:\nretry:  7\nretry: \xD9\xA1\nretry: 0042\n\n",
    );
    assert_eq!(
        evs,
        [
            ClientEvent::Retry(Duration::from_millis(1500)),
            ClientEvent::Retry(Duration::from_millis(42))
        ]
    );
    let mut p = Parser::default();
    p.receive(b"retry: 99999999999999999999999999\n").unwrap();
    assert_eq!(p.reconnection_time(), Some(Duration::from_millis(u64::MAX)));
    p.receive(b"retry: 250\n").unwrap();
    assert_eq!(p.reconnection_time(), Some(Duration::from_millis(250)));
}

#[test]
fn comments_unknown_fields_and_case_are_ignored() {
    assert_eq!(
        parse(b": hi\n:data: x\nData: y\nfoo: z\nDATA\n data: w\ndata : v\n\n"),
        []
    );
}

#[test]
fn end_of_stream_discards_the_pending_event() {
    let mut p = Parser::default();
    p.receive(b"data: a\n\ndata: b\n").unwrap();
    p.finish();
    assert_eq!(p.poll_event(), Some(msg("message", "a", "")));
    assert_eq!(p.poll_event(), None);
    // A new stream starts fresh: a leading BOM is stripped again and the
    // discarded "b" does not leak into it.
    p.receive(b"\xEF\xBB\xBFdata: c\n\n").unwrap();
    assert_eq!(p.poll_event(), Some(msg("message", "c", "")));
}

#[test]
fn reconnection_keeps_last_event_id_string_but_fresh_buffer() {
    let mut p = Parser::with_last_event_id(ParserConfig::default(), "41");
    assert_eq!(p.last_event_id(), "41");
    p.receive(b"id: 42\ndata: a\n\n").unwrap();
    assert_eq!(p.poll_event(), Some(msg("message", "a", "42")));
    p.finish();
    assert_eq!(p.last_event_id(), "42");
    // Per the spec each stream's last event ID buffer starts empty.
    p.receive(b"data: b\n\n").unwrap();
    assert_eq!(p.poll_event(), Some(msg("message", "b", "")));
}

#[test]
fn line_limit_is_enforced_and_sticky() {
    let config = ParserConfig {
        max_line_len: 10,
        ..ParserConfig::default()
    };
    let mut p = Parser::new(config);
    // Exactly at the limit (a BOM does not count).
    p.receive(b"\xEF\xBB\xBFdata: 1234\n\n").unwrap();
    assert_eq!(p.poll_event(), Some(msg("message", "1234", "")));
    assert_eq!(p.receive(b"data: 1234"), Ok(10));
    assert_eq!(p.receive(b"5"), Err(ParseError::LineTooLong));
    assert_eq!(p.receive(b"\n\n"), Err(ParseError::LineTooLong));
    // finish() starts a new stream.
    p.finish();
    assert_eq!(p.receive(b"data: ok\n\n"), Ok(10));
    assert_eq!(p.poll_event(), Some(msg("message", "ok", "")));
    // Whole lines inside one chunk (not at stream start) take the same limit.
    let mut p = Parser::new(config);
    p.receive(b"\ndata: 1234\n\n").unwrap();
    assert_eq!(p.poll_event(), Some(msg("message", "1234", "")));
    assert_eq!(p.receive(b"data: 12345\n"), Err(ParseError::LineTooLong));
}

#[test]
fn event_limit_is_enforced() {
    let config = ParserConfig {
        max_event_size: 8,
        ..ParserConfig::default()
    };
    let mut p = Parser::new(config);
    // 3 + 1 + 3 + 1 = 8 bytes of data buffer: allowed.
    p.receive(b"data: abc\ndata: def\n\n").unwrap();
    assert_eq!(p.poll_event(), Some(msg("message", "abc\ndef", "")));
    assert_eq!(
        p.receive(b"event: xyz\ndata: abcde\n"),
        Err(ParseError::EventTooLarge)
    );
    let mut p = Parser::new(config);
    assert_eq!(
        p.receive(b"data: abcd\nevent: xyzw\n"),
        Err(ParseError::EventTooLarge)
    );
}

#[test]
fn queue_limit_applies_backpressure() {
    let config = ParserConfig {
        max_queued_events: 2,
        ..ParserConfig::default()
    };
    let mut p = Parser::new(config);
    let input = b"data: 1\n\ndata: 2\n\ndata: 3\n\n";
    let n = p.receive(input).unwrap();
    assert_eq!(n, 18);
    assert_eq!(p.receive(&input[n..]).unwrap(), 0);
    assert_eq!(
        data_of(&[p.poll_event().unwrap(), p.poll_event().unwrap()]),
        ["1", "2"]
    );
    assert_eq!(p.receive(&input[n..]).unwrap(), 9);
    assert_eq!(p.poll_event(), Some(msg("message", "3", "")));
}

#[test]
fn large_random_stream_in_small_chunks() {
    // 2000 events through 7-byte chunks.
    let mut stream = Vec::new();
    for i in 0..2000 {
        stream.extend_from_slice(format!("id: {i}\r\ndata: {i}\rdata: x\n\n").as_bytes());
    }
    let mut p = Parser::default();
    let mut out = Vec::new();
    for chunk in stream.chunks(7) {
        feed(&mut p, chunk, &mut out);
    }
    assert_eq!(out.len(), 2000);
    assert_eq!(out[1999], msg("message", "1999\nx", "1999"));
}
