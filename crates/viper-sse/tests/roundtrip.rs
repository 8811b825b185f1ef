//! Property: whatever the encoder writes, the parser reads back — the same
//! events, at every split point of the stream and byte by byte.

use proptest::prelude::*;
use viper_core::{Duration, Instant};
use viper_sse::{ClientEvent, Encoder, EncoderConfig, Event, MessageEvent, Parser, ParserConfig};

#[derive(Clone, Debug)]
enum Item {
    Event {
        event: Option<String>,
        data: Option<String>,
        id: Option<String>,
        retry: Option<u64>,
    },
    Comment(String),
}

/// Text biased towards the characters that matter to the format.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::char::range('a', 'e'),
            2 => Just(' '),
            2 => Just(':'),
            2 => Just('\n'),
            2 => Just('\r'),
            1 => Just('\0'),
            1 => Just('\u{FEFF}'),
            1 => Just('é'),
            1 => Just('😀'),
            1 => any::<char>(),
        ],
        0..12,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn no_line_end() -> impl Strategy<Value = String> {
    text().prop_map(|s| s.replace(['\r', '\n'], ""))
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        4 => (
            prop::option::of(no_line_end()),
            prop::option::of(text()),
            prop::option::of(no_line_end().prop_map(|s| s.replace('\0', ""))),
            prop::option::of(0u64..100_000),
        )
            .prop_map(|(event, data, id, retry)| Item::Event { event, data, id, retry }),
        1 => text().prop_map(Item::Comment),
    ]
}

/// What a WHATWG client must see for `items`.
fn expected(items: &[Item]) -> Vec<ClientEvent> {
    let mut out = Vec::new();
    let mut last_id = String::new();
    for it in items {
        if let Item::Event {
            event,
            data,
            id,
            retry,
        } = it
        {
            if let Some(id) = id {
                last_id = id.clone();
            }
            if let Some(r) = retry {
                out.push(ClientEvent::Retry(Duration::from_millis(*r)));
            }
            if let Some(data) = data {
                let event_type = match event.as_deref() {
                    None | Some("") => "message".to_owned(),
                    Some(e) => e.to_owned(),
                };
                out.push(ClientEvent::Message(MessageEvent {
                    event_type,
                    data: data.replace("\r\n", "\n").replace('\r', "\n"),
                    last_event_id: last_id.clone(),
                }));
            }
        }
    }
    out
}

fn encode(items: &[Item]) -> Vec<u8> {
    let mut enc = Encoder::new(
        EncoderConfig {
            max_pending_output: usize::MAX,
            ..EncoderConfig::default()
        },
        Instant::ZERO,
    );
    for (i, it) in items.iter().enumerate() {
        match it {
            Item::Event {
                event,
                data,
                id,
                retry,
            } => enc
                .send_event(&Event {
                    event: event.as_deref(),
                    data: data.as_deref(),
                    id: id.as_deref(),
                    retry: retry.map(Duration::from_millis),
                })
                .unwrap(),
            Item::Comment(c) => enc.send_comment(c).unwrap(),
        }
        // Quiet intervals between items add heartbeat comments.
        if i % 3 == 2 {
            enc.handle_timeout(Instant::ZERO + Duration::from_secs(15 * (i as u64 + 1)));
            enc.handle_timeout(Instant::ZERO + Duration::from_secs(15 * (i as u64 + 2)));
        }
    }
    let bytes = enc.poll_transmit().map(<[u8]>::to_vec).unwrap_or_default();
    enc.advance_transmit(bytes.len());
    bytes
}

fn parse_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<ClientEvent> {
    let mut p = Parser::new(ParserConfig {
        max_queued_events: 3,
        ..ParserConfig::default()
    });
    let mut out = Vec::new();
    for mut chunk in chunks {
        while !chunk.is_empty() {
            let n = p.receive(chunk).unwrap();
            chunk = &chunk[n..];
            while let Some(e) = p.poll_event() {
                out.push(e);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_parse_at_every_split(items in prop::collection::vec(item(), 0..8)) {
        let bytes = encode(&items);
        let want = expected(&items);
        prop_assert_eq!(&parse_chunks([&bytes[..]]), &want);
        for i in 0..=bytes.len() {
            prop_assert_eq!(&parse_chunks([&bytes[..i], &bytes[i..]]), &want, "split at {}", i);
        }
        prop_assert_eq!(&parse_chunks(bytes.chunks(1)), &want);
    }

    #[test]
    fn any_chunking_gives_the_same_events(
        bytes in prop::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(b':'), Just(b' '), Just(b'd'),
                        Just(b'a'), Just(b't'), Just(b'i'), any::<u8>()], 0..200),
        prefix in prop::sample::select(vec![&b""[..], b"data", b"id", b"event", b"retry", b"\xEF\xBB\xBF"]),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut stream = prefix.to_vec();
        stream.extend_from_slice(&bytes);
        let whole = parse_chunks([&stream[..]]);
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut last = 0;
        for p in points {
            chunks.push(&stream[last..p]);
            last = p;
        }
        chunks.push(&stream[last..]);
        prop_assert_eq!(parse_chunks(chunks), whole);
    }
}
