//! Arbitrary bytes into the parser, in chunks chosen by the input, with small
//! limits. Checks: no panic; the chunked run gives exactly the events (and
//! the error, if any) of the one-shot run; limits and the event queue bound
//! hold; every event obeys the algorithm's invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use viper_sse::{ClientEvent, ParseError, Parser, ParserConfig};

const CONFIG: ParserConfig = ParserConfig {
    max_line_len: 64,
    max_event_size: 96,
    max_queued_events: 3,
};

fn run(chunks: &[&[u8]]) -> (Vec<ClientEvent>, Option<ParseError>, String) {
    let mut p = Parser::new(CONFIG);
    let mut out = Vec::new();
    for chunk in chunks {
        let mut chunk = *chunk;
        loop {
            match p.receive(chunk) {
                Ok(n) => {
                    assert!(n <= chunk.len());
                    chunk = &chunk[n..];
                }
                Err(e) => {
                    // Failure is sticky.
                    assert_eq!(p.receive(b"x"), Err(e));
                    while let Some(ev) = p.poll_event() {
                        out.push(ev);
                    }
                    return (out, Some(e), p.last_event_id().to_owned());
                }
            }
            let mut queued = 0;
            while let Some(ev) = p.poll_event() {
                queued += 1;
                out.push(ev);
            }
            assert!(queued <= CONFIG.max_queued_events);
            if chunk.is_empty() {
                break;
            }
            // Input left over means the queue was full.
            assert_eq!(queued, CONFIG.max_queued_events);
        }
    }
    p.finish();
    while let Some(ev) = p.poll_event() {
        out.push(ev);
    }
    (out, None, p.last_event_id().to_owned())
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let whole = run(&[body]);
    for ev in &whole.0 {
        if let ClientEvent::Message(m) = ev {
            assert!(!m.event_type.is_empty());
            assert!(!m.last_event_id.contains(['\0', '\r', '\n']));
            assert!(!m.event_type.contains(['\r', '\n']));
            assert!(!m.data.contains('\r'));
            assert!(m.data.len() <= CONFIG.max_event_size);
        }
    }
    // Chunk boundaries from the seed: a step of 1..=8 bytes, rotating.
    let mut chunks = Vec::new();
    let mut pos = 0;
    let mut step = usize::from(seed % 8) + 1;
    while pos < body.len() {
        let end = (pos + step).min(body.len());
        chunks.push(&body[pos..end]);
        pos = end;
        step = step % 8 + 1;
    }
    let split = run(&chunks);
    assert_eq!(whole, split);
});
