//! HTTP/2-only listeners (prior knowledge, RFC 9113 §3.4) and the refusal an HTTP/2
//! client gets beyond max-connections.

use viper_core::{receive_with, transmit_with};
use viper_server::{
    refusal, Config, Connection, Event, Instant, Refusal, Version, H2_REFUSAL, REFUSAL_RESPONSE,
};

fn run(config: Config, input: &[u8], eof: bool) -> (Vec<Event>, Vec<u8>) {
    let mut c = Connection::new(config, Instant::ZERO);
    let mut evs = Vec::new();
    receive_with(&mut c, input, |_, e| evs.push(e));
    if eof {
        c.receive_eof();
        while let Some(e) = c.poll_event() {
            evs.push(e);
        }
    }
    let mut out = Vec::new();
    transmit_with(&mut c, |b| {
        out.extend_from_slice(b);
        b.len()
    });
    (evs, out)
}

/// (type, flags, stream, payload) of each frame.
fn frames(mut b: &[u8]) -> Vec<(u8, u8, u32, Vec<u8>)> {
    let mut v = Vec::new();
    while b.len() >= 9 {
        let len = (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2]);
        let sid = u32::from_be_bytes([b[5], b[6], b[7], b[8]]) & 0x7fff_ffff;
        v.push((b[3], b[4], sid, b[9..9 + len].to_vec()));
        b = &b[9 + len..];
    }
    assert!(b.is_empty(), "trailing bytes");
    v
}

fn goaway_code(out: &[u8]) -> Option<u32> {
    frames(out)
        .iter()
        .find(|f| f.0 == 7)
        .map(|f| u32::from_be_bytes([f.3[4], f.3[5], f.3[6], f.3[7]]))
}

fn h2_only() -> Config {
    Config {
        h2_only: true,
        ..Config::default()
    }
}

#[test]
fn h2_only_answers_http1_with_goaway_protocol_error() {
    for (input, eof) in [
        (&b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"[..], false),
        (b"G", true),
        (b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", false),
    ] {
        let (evs, out) = run(h2_only(), input, eof);
        assert_eq!(goaway_code(&out), Some(1), "PROTOCOL_ERROR for {input:?}");
        assert!(
            !String::from_utf8_lossy(&out).contains("HTTP/1.1"),
            "no HTTP/1.1 answer"
        );
        assert!(
            evs.iter().any(|e| matches!(e, Event::Closed { .. })),
            "{evs:?}"
        );
        assert!(!evs.iter().any(|e| matches!(e, Event::Request(_))));
    }
}

#[test]
fn h2_only_serves_prior_knowledge() {
    let mut input = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    input.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    // GET / with static-table indices and a literal :authority.
    let block = [0x82, 0x86, 0x84, 0x01, 0x01, b'h'];
    input.extend_from_slice(&[0, 0, block.len() as u8, 1, 5, 0, 0, 0, 1]);
    input.extend_from_slice(&block);
    let (evs, out) = run(h2_only(), &input, false);
    let r = evs
        .iter()
        .find_map(|e| match e {
            Event::Request(r) => Some(r),
            _ => None,
        })
        .expect("request");
    assert_eq!(r.version, Version::Http2);
    assert_eq!(goaway_code(&out), None);
}

#[test]
fn shared_port_keeps_the_http1_answer() {
    let (_, out) = run(
        Config::default(),
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        false,
    );
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 400"));
}

#[test]
fn refusal_is_goaway_for_http2_and_503_for_http1() {
    assert_eq!(refusal(b"PRI ", false), Refusal::Answer(H2_REFUSAL));
    assert_eq!(refusal(b"P", false), Refusal::NeedMore);
    assert_eq!(refusal(b"", false), Refusal::Answer(REFUSAL_RESPONSE));
    assert_eq!(refusal(b"PUT /", false), Refusal::Answer(REFUSAL_RESPONSE));
    assert_eq!(refusal(b"GET", true), Refusal::Answer(H2_REFUSAL));
    // The refusal is well-formed HTTP/2: an empty SETTINGS (the server preface),
    // then GOAWAY with last stream 0 and REFUSED_STREAM.
    let f = frames(H2_REFUSAL);
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].0, f[0].1, f[0].2, f[0].3.len()), (4, 0, 0, 0));
    assert_eq!((f[1].0, f[1].2), (7, 0));
    assert_eq!(&f[1].3[..8], &[0, 0, 0, 0, 0, 0, 0, 7]);
    assert_eq!(&f[1].3[8..], b"max connections");
}
