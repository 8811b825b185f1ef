//! The `date` field (RFC 9110 §6.6.1): injected by the adapter through
//! `Connection::set_date`, carried by every HTTP/1.1 and HTTP/2 response.

use viper_hpack::{Decoder, DecoderConfig, Encoder, EncoderConfig, Header};
use viper_server::{Body, Config, Connection, Event, HttpDate, Instant};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const D1: u64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT
const D2: u64 = 784_111_778;

fn pump(c: &mut Connection, data: &[u8]) -> (Vec<Event>, Vec<u8>) {
    let mut evs = Vec::new();
    let used = viper_core::receive_with(c, data, |_, e| evs.push(e));
    assert_eq!(used, data.len());
    (evs, drain(c))
}

fn drain(c: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    viper_core::transmit_with(c, |b| {
        out.extend_from_slice(b);
        b.len()
    });
    out
}

fn req_id(evs: &[Event]) -> u32 {
    evs.iter()
        .find_map(|e| match e {
            Event::Request(r) => Some(r.id),
            _ => None,
        })
        .expect("a request")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn h1_responses_carry_the_injected_date_and_follow_updates() {
    let mut c = Connection::new(Config::default(), Instant::ZERO);
    let (evs, _) = pump(&mut c, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    let id = req_id(&evs);
    // Before the adapter injects one, there is no date (no clock below the adapters).
    c.send_response(id, 200, &[] as &[(&str, &str)], Body::Full(b"a"))
        .unwrap();
    let out = text(&drain(&mut c));
    assert!(!out.to_ascii_lowercase().contains("\r\ndate:"), "{out}");

    c.set_date(HttpDate::from_unix_secs(D1));
    assert_eq!(c.date(), Some(HttpDate::from_unix_secs(D1)));
    let (evs, _) = pump(&mut c, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    c.send_response(req_id(&evs), 200, &[] as &[(&str, &str)], Body::Empty)
        .unwrap();
    let out = text(&drain(&mut c));
    assert!(
        out.contains("\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"),
        "{out}"
    );

    // The next second, and an application-supplied date wins (sent once).
    c.set_date(HttpDate::from_unix_secs(D2));
    let (evs, _) = pump(&mut c, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    c.send_response(req_id(&evs), 404, &[] as &[(&str, &str)], Body::Empty)
        .unwrap();
    let out = text(&drain(&mut c));
    assert!(
        out.contains("date: Sun, 06 Nov 1994 08:49:38 GMT\r\n"),
        "{out}"
    );
    let (evs, _) = pump(&mut c, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    c.send_response(
        req_id(&evs),
        200,
        &[("Date", "Thu, 01 Jan 1970 00:00:00 GMT")],
        Body::Empty,
    )
    .unwrap();
    let out = text(&drain(&mut c)).to_ascii_lowercase();
    assert_eq!(out.matches("\r\ndate:").count(), 1, "{out}");
    assert!(out.contains("thu, 01 jan 1970"), "{out}");
}

#[test]
fn h1_error_answers_carry_the_date() {
    let mut c = Connection::new(Config::default(), Instant::ZERO);
    c.set_date(HttpDate::from_unix_secs(D1));
    let (_, out) = pump(&mut c, b"GET / HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n");
    let out = text(&out);
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    assert!(
        out.contains("date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"),
        "{out}"
    );
}

fn frame(ty: u8, flags: u8, sid: u32, payload: &[u8]) -> Vec<u8> {
    let n = payload.len();
    let mut v = vec![(n >> 16) as u8, (n >> 8) as u8, n as u8, ty, flags];
    v.extend_from_slice(&sid.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

#[test]
fn h2_responses_carry_the_date() {
    let mut c = Connection::new(Config::default(), Instant::ZERO);
    c.set_date(HttpDate::from_unix_secs(D1));
    let mut enc = Encoder::new(EncoderConfig::default());
    let mut block = Vec::new();
    enc.encode(
        [
            (":method", "GET"),
            (":scheme", "http"),
            (":authority", "h"),
            (":path", "/"),
        ]
        .iter()
        .map(|(n, v)| Header::new(n.as_bytes(), v.as_bytes())),
        &mut block,
    );
    let mut input = PREFACE.to_vec();
    input.extend(frame(4, 0, 0, &[]));
    input.extend(frame(1, 0x5, 1, &block));
    let (evs, _) = pump(&mut c, &input);
    assert_eq!(req_id(&evs), 1);
    c.send_response(1, 200, &[] as &[(&str, &str)], Body::Full(b"x"))
        .unwrap();
    let out = drain(&mut c);
    // Find the HEADERS frame on stream 1 and decode it.
    let mut dec = Decoder::new(DecoderConfig::default());
    let mut rest = &out[..];
    let mut fields = Vec::new();
    while rest.len() >= 9 {
        let len = (usize::from(rest[0]) << 16) | (usize::from(rest[1]) << 8) | usize::from(rest[2]);
        let (ty, sid) = (
            rest[3],
            u32::from_be_bytes([rest[5], rest[6], rest[7], rest[8]]),
        );
        let payload = &rest[9..9 + len];
        if ty == 1 && sid == 1 {
            dec.decode(payload, |h| fields.push((text(h.name), text(h.value))))
                .unwrap();
        }
        rest = &rest[9 + len..];
    }
    assert!(
        fields.contains(&("date".into(), "Sun, 06 Nov 1994 08:49:37 GMT".into())),
        "{fields:?}"
    );
}
