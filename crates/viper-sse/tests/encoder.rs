//! The encoder, the heartbeat timer and the HTTP helpers, through the public API.

use viper_core::{Duration, Instant};
use viper_sse::{
    last_event_id, EncodeError, Encoder, EncoderConfig, Event, CONTENT_TYPE, LAST_EVENT_ID,
    RESPONSE_HEADERS,
};

fn enc(ev: &Event<'_>) -> Result<String, EncodeError> {
    let mut out = Vec::new();
    ev.encode_into(&mut out)?;
    assert_eq!(ev.encoded_len()?, out.len());
    Ok(String::from_utf8(out).unwrap())
}

fn drain(e: &mut Encoder) -> String {
    let bytes = e.poll_transmit().map(<[u8]>::to_vec).unwrap_or_default();
    e.advance_transmit(bytes.len());
    assert_eq!(e.poll_transmit(), None);
    String::from_utf8(bytes).unwrap()
}

fn secs(s: u64) -> Instant {
    Instant::ZERO + Duration::from_secs(s)
}

#[test]
fn data_lines_split_on_cr_lf_and_crlf() {
    assert_eq!(enc(&Event::data("a")).unwrap(), "data: a\n\n");
    assert_eq!(
        enc(&Event::data("a\nb\rc\r\nd")).unwrap(),
        "data: a\ndata: b\ndata: c\ndata: d\n\n"
    );
    // CR CR is two line ends, LF CR too; CRLF is one.
    assert_eq!(
        enc(&Event::data("a\r\rb\n\rc")).unwrap(),
        "data: a\ndata:\ndata: b\ndata:\ndata: c\n\n"
    );
    // A trailing line end gives a trailing empty data line, so the client
    // gets the final LF back.
    assert_eq!(enc(&Event::data("a\r\n")).unwrap(), "data: a\ndata:\n\n");
    assert_eq!(enc(&Event::data("")).unwrap(), "data:\n\n");
    // Leading spaces survive the one space the client strips.
    assert_eq!(enc(&Event::data(" x")).unwrap(), "data:  x\n\n");
}

#[test]
fn all_fields_and_no_data() {
    assert_eq!(
        enc(&Event::data("d")
            .event("upd")
            .id("9")
            .retry(Duration::from_millis(2500)))
        .unwrap(),
        "event: upd\ndata: d\nid: 9\nretry: 2500\n\n"
    );
    let only_id = Event {
        id: Some(""),
        ..Event::default()
    };
    assert_eq!(enc(&only_id).unwrap(), "id:\n\n");
    assert_eq!(enc(&Event::default()).unwrap(), "\n");
    // Retry is whole milliseconds, saturating.
    assert_eq!(
        enc(&Event::default().retry(Duration::from_micros(1999))).unwrap(),
        "retry: 1\n\n"
    );
    assert_eq!(
        enc(&Event::default().retry(Duration::MAX)).unwrap(),
        "retry: 18446744073709551615\n\n"
    );
    assert_eq!(
        enc(&Event::default().retry(Duration::ZERO)).unwrap(),
        "retry: 0\n\n"
    );
}

#[test]
fn id_with_cr_lf_or_nul_and_event_with_cr_lf_are_rejected() {
    for id in ["a\nb", "a\rb", "a\0b", "\n"] {
        assert_eq!(enc(&Event::data("x").id(id)), Err(EncodeError::InvalidId));
    }
    for ev in ["a\nb", "a\rb", "\r\n"] {
        assert_eq!(
            enc(&Event::data("x").event(ev)),
            Err(EncodeError::InvalidEventType)
        );
    }
    // NUL in the event type and data is representable.
    assert_eq!(
        enc(&Event::data("\0").event("\0")).unwrap(),
        "event: \0\ndata: \0\n\n"
    );
    // Nothing is appended on error.
    let mut out = b"keep".to_vec();
    assert_eq!(
        Event::data("x").id("\n").encode_into(&mut out),
        Err(EncodeError::InvalidId)
    );
    assert_eq!(out, b"keep");
    // The encoder does not queue invalid events.
    let mut e = Encoder::new(EncoderConfig::default(), Instant::ZERO);
    assert_eq!(
        e.send_event(&Event::data("x").id("\r")),
        Err(EncodeError::InvalidId)
    );
    assert_eq!(e.poll_transmit(), None);
}

#[test]
fn comments_and_retry() {
    let mut e = Encoder::new(EncoderConfig::default(), Instant::ZERO);
    e.send_comment("hello").unwrap();
    e.send_comment("two\r\nlines").unwrap();
    e.send_comment("").unwrap();
    e.send_retry(Duration::from_secs(3)).unwrap();
    assert_eq!(drain(&mut e), ": hello\n: two\n: lines\n:\nretry: 3000\n\n");
}

#[test]
fn partial_transmit() {
    let mut e = Encoder::new(EncoderConfig::default(), Instant::ZERO);
    e.send_event(&Event::data("abc")).unwrap();
    assert_eq!(e.pending_len(), 11);
    e.advance_transmit(4);
    assert_eq!(e.poll_transmit(), Some(&b": abc\n\n"[..]));
    e.send_event(&Event::data("d")).unwrap();
    assert_eq!(e.poll_transmit(), Some(&b": abc\n\ndata: d\n\n"[..]));
    e.advance_transmit(usize::MAX);
    assert_eq!(e.poll_transmit(), None);
    assert_eq!(e.pending_len(), 0);
}

#[test]
fn output_limit_gives_would_block() {
    let config = EncoderConfig {
        max_pending_output: 20,
        ..EncoderConfig::default()
    };
    let mut e = Encoder::new(config, Instant::ZERO);
    e.send_event(&Event::data("0123456789")).unwrap(); // 18 bytes
    assert_eq!(
        e.send_event(&Event::data("x")),
        Err(EncodeError::WouldBlock {
            needed: 9,
            available: 2
        })
    );
    assert_eq!(
        e.send_comment("xy"),
        Err(EncodeError::WouldBlock {
            needed: 5,
            available: 2
        })
    );
    e.send_comment("").unwrap(); // ":\n" fits
    e.advance_transmit(10);
    e.send_event(&Event::data("x")).unwrap();
    assert_eq!(drain(&mut e), "456789\n\n:\ndata: x\n\n");
    // An event larger than the whole limit can never be sent.
    assert!(matches!(
        e.send_event(&Event::data(&"z".repeat(30))),
        Err(EncodeError::WouldBlock {
            needed: 38,
            available: 20
        })
    ));
}

#[test]
fn heartbeat_after_a_quiet_interval() {
    let mut e = Encoder::new(EncoderConfig::default(), secs(100));
    assert_eq!(e.poll_timeout(), Some(secs(115)));
    e.handle_timeout(secs(114));
    assert_eq!(e.poll_transmit(), None);
    e.handle_timeout(secs(115));
    assert_eq!(drain(&mut e), ":\n");
    assert_eq!(e.heartbeats_sent(), 1);
    assert_eq!(e.poll_timeout(), Some(secs(130)));
}

#[test]
fn no_heartbeat_in_a_busy_interval() {
    let mut e = Encoder::new(EncoderConfig::default(), secs(0));
    e.handle_timeout(secs(5));
    e.send_event(&Event::data("x")).unwrap();
    drain(&mut e);
    e.handle_timeout(secs(15));
    assert_eq!(e.poll_transmit(), None);
    assert_eq!(e.poll_timeout(), Some(secs(30)));
    e.handle_timeout(secs(30));
    assert_eq!(drain(&mut e), ":\n");
    // Comments count as activity too.
    e.send_comment("c").unwrap();
    drain(&mut e);
    e.handle_timeout(secs(45));
    assert_eq!(e.poll_transmit(), None);
    assert_eq!(e.heartbeats_sent(), 1);
}

#[test]
fn late_wakeup_gives_one_heartbeat() {
    let mut e = Encoder::new(EncoderConfig::default(), secs(0));
    e.handle_timeout(secs(1000));
    e.handle_timeout(secs(1000));
    assert_eq!(drain(&mut e), ":\n");
    assert_eq!(e.poll_timeout(), Some(secs(1015)));
}

#[test]
fn heartbeat_config() {
    let config = EncoderConfig {
        heartbeat_interval: Some(Duration::from_millis(500)),
        heartbeat_comment: "ping",
        ..EncoderConfig::default()
    };
    let mut e = Encoder::new(config, Instant::ZERO);
    e.handle_timeout(Instant::from_millis(500));
    assert_eq!(drain(&mut e), ": ping\n");

    let off = EncoderConfig {
        heartbeat_interval: None,
        ..EncoderConfig::default()
    };
    let mut e = Encoder::new(off, Instant::ZERO);
    assert_eq!(e.poll_timeout(), None);
    e.handle_timeout(secs(1_000_000));
    assert_eq!(e.poll_transmit(), None);

    // Heartbeats are skipped while the buffer is full.
    let small = EncoderConfig {
        max_pending_output: 10,
        ..EncoderConfig::default()
    };
    let mut e = Encoder::new(small, Instant::ZERO);
    e.send_event(&Event::data("ab")).unwrap(); // 10 bytes
    e.handle_timeout(secs(15));
    e.handle_timeout(secs(30));
    assert_eq!(e.pending_len(), 10);
    assert_eq!(e.heartbeats_sent(), 0);
    // Instant::MAX saturates instead of overflowing.
    let mut e = Encoder::new(EncoderConfig::default(), Instant::MAX);
    assert_eq!(e.poll_timeout(), Some(Instant::MAX));
    e.handle_timeout(Instant::MAX);
    assert_eq!(drain(&mut e), ":\n");
}

#[test]
fn response_head_constants() {
    assert_eq!(CONTENT_TYPE, "text/event-stream");
    assert!(RESPONSE_HEADERS.contains(&("content-type", "text/event-stream")));
    assert!(RESPONSE_HEADERS.contains(&("cache-control", "no-cache")));
    assert!(RESPONSE_HEADERS
        .iter()
        .all(|(n, _)| n.bytes().all(|b| !b.is_ascii_uppercase())));
    assert_eq!(LAST_EVENT_ID, "last-event-id");
}

#[test]
fn last_event_id_from_request_headers() {
    type H<'a> = (&'a [u8], &'a [u8]);
    let get = |h: &[H<'_>]| last_event_id(h.iter().copied()).map(str::to_owned);
    assert_eq!(
        get(&[(b"host", b"x"), (b"last-event-id", b"42")]).as_deref(),
        Some("42")
    );
    assert_eq!(
        get(&[(b"Last-Event-ID", b"\t a b \t")]).as_deref(),
        Some("a b")
    );
    assert_eq!(
        get(&[(b"LAST-EVENT-ID", "é1".as_bytes())]).as_deref(),
        Some("é1")
    );
    // The first occurrence wins.
    assert_eq!(
        get(&[(b"last-event-id", b"1"), (b"last-event-id", b"2")]).as_deref(),
        Some("1")
    );
    assert_eq!(get(&[(b"host", b"x")]), None);
    assert_eq!(get(&[]), None);
    assert_eq!(get(&[(b"last-event-id", b"  ")]), None);
    assert_eq!(get(&[(b"last-event-id", b"\xFF")]), None);
    assert_eq!(get(&[(b"last-event-id", b"a\0b")]), None);
    assert_eq!(get(&[(b"last-event-id", b"a\nb")]), None);
    assert_eq!(get(&[(b"last-event-idx", b"1")]), None);
    // Works straight from an array of pairs, as the server hands them out.
    let headers: [H<'_>; 1] = [(b"last-event-id", b"7")];
    assert_eq!(last_event_id(headers), Some("7"));
}
