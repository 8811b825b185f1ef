//! Events built from the input (fields separated by 0xFF, 0xFE ends an
//! item) are encoded, then parsed back in input-chosen chunks; the parser
//! must return what a WHATWG client should see. Exercises the encoder's line
//! splitting and validation against the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use viper_core::{Duration, Instant};
use viper_sse::{
    ClientEvent, EncodeError, Encoder, EncoderConfig, Event, MessageEvent, Parser, ParserConfig,
};

fn field(parts: &[&[u8]], i: usize) -> Option<String> {
    let p = parts.get(i)?;
    if p.first() == Some(&b'~') {
        return None;
    }
    Some(String::from_utf8_lossy(p).into_owned())
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let mut enc = Encoder::new(
        EncoderConfig {
            max_pending_output: 1 << 16,
            ..EncoderConfig::default()
        },
        Instant::ZERO,
    );
    let mut want = Vec::new();
    let mut last_id = String::new();
    for (n, item) in body.split(|&b| b == 0xFE).enumerate() {
        let parts: Vec<&[u8]> = item.split(|&b| b == 0xFF).collect();
        if parts.len() == 1 {
            let text = field(&parts, 0).unwrap_or_default();
            if enc.send_comment(&text).is_err() {
                return;
            }
            continue;
        }
        let event = field(&parts, 0);
        let payload = field(&parts, 1);
        let id = field(&parts, 2);
        let retry = parts.get(3).filter(|p| !p.is_empty()).map(|p| {
            p.iter()
                .fold(0u64, |a, &b| a.wrapping_mul(31).wrapping_add(u64::from(b)))
        });
        let ev = Event {
            event: event.as_deref(),
            data: payload.as_deref(),
            id: id.as_deref(),
            retry: retry.map(Duration::from_millis),
        };
        match enc.send_event(&ev) {
            Ok(()) => {}
            Err(EncodeError::InvalidId) => {
                assert!(id.unwrap().contains(['\r', '\n', '\0']));
                continue;
            }
            Err(EncodeError::InvalidEventType) => {
                assert!(event.unwrap().contains(['\r', '\n']));
                continue;
            }
            Err(EncodeError::WouldBlock { .. }) => return,
        }
        if let Some(id) = id {
            last_id = id;
        }
        if let Some(r) = retry {
            want.push(ClientEvent::Retry(Duration::from_millis(r)));
        }
        if let Some(d) = payload {
            want.push(ClientEvent::Message(MessageEvent {
                event_type: match event.as_deref() {
                    None | Some("") => "message".into(),
                    Some(e) => e.into(),
                },
                data: d.replace("\r\n", "\n").replace('\r', "\n"),
                last_event_id: last_id.clone(),
            }));
        }
        if n % 2 == 1 {
            enc.handle_timeout(Instant::ZERO + Duration::from_secs(15 * (n as u64 + 1)));
        }
    }
    let bytes = enc.poll_transmit().unwrap_or(&[]).to_vec();
    enc.advance_transmit(bytes.len());

    let mut p = Parser::new(ParserConfig {
        max_line_len: 1 << 17,
        max_event_size: 1 << 18,
        max_queued_events: 2,
    });
    let mut got = Vec::new();
    let step = usize::from(seed % 16) + 1;
    for mut chunk in bytes.chunks(step) {
        while !chunk.is_empty() {
            let n = p.receive(chunk).expect("limits are above the input size");
            chunk = &chunk[n..];
            while let Some(e) = p.poll_event() {
                got.push(e);
            }
        }
    }
    assert_eq!(got, want);
});
