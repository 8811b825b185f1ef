//! proptest: arbitrary requests and responses, serialised by one role and parsed back
//! by the other, fed at arbitrary split points, come out identical.

use proptest::prelude::*;
use viper_h1::{Config, Connection, Event, Instant};

#[derive(Clone, Debug)]
struct Msg {
    method: String,
    target: String,
    status: u16,
    headers: Vec<(String, String)>,
    /// Body pieces as sent; `None` framing = Content-Length.
    pieces: Vec<Vec<u8>>,
    chunked: bool,
    trailers: Vec<(String, String)>,
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}"
}

fn msg() -> impl Strategy<Value = Msg> {
    (
        prop_oneof![
            Just("GET".to_string()),
            Just("POST".to_string()),
            "[A-Z]{1,10}"
        ],
        "/[A-Za-z0-9._~!$&'()*+,;=:@/?%-]{0,40}",
        prop_oneof![200u16..204, 205u16..304, 305u16..600],
        proptest::collection::vec(("x-[a-z0-9-]{1,10}", "[!-~]([ -~]{0,30}[!-~])?"), 0..8),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..5),
        any::<bool>(),
        proptest::collection::vec((token(), "[!-~]{1,20}"), 0..3),
    )
        .prop_map(
            |(method, target, status, headers, pieces, chunked, trailers)| Msg {
                method,
                target,
                status,
                headers,
                pieces,
                chunked,
                trailers: if chunked { trailers } else { Vec::new() },
            },
        )
}

fn body(m: &Msg) -> Vec<u8> {
    m.pieces.concat()
}

fn framing(m: &Msg) -> Vec<(String, String)> {
    let mut h = m.headers.clone();
    if m.chunked {
        h.push(("transfer-encoding".into(), "chunked".into()));
    } else {
        h.push(("content-length".into(), body(m).len().to_string()));
    }
    h
}

fn send_body(conn: &mut Connection, m: &Msg) {
    for p in &m.pieces {
        conn.send_data(p.clone()).unwrap();
    }
    if m.trailers.is_empty() {
        conn.finish().unwrap();
    } else {
        conn.send_trailers(&m.trailers).unwrap();
    }
}

fn drain(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(b) = conn.take_transmit() {
        out.extend_from_slice(&b);
    }
    out
}

fn pairs(h: &viper_h1::Headers) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| {
            (
                String::from_utf8_lossy(n).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            )
        })
        .collect()
}

/// Splits `wire` at the given fractions, feeding each piece.
fn pieces(wire: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut last = 0;
    for p in points {
        out.push(wire[last..p].to_vec());
        last = p;
    }
    out.push(wire[last..].to_vec());
    out
}

/// Collected (head, body, trailers) per message.
type Got = Vec<(Event, Vec<u8>, Vec<(String, String)>)>;

fn collect(conn: &mut Connection, got: &mut Got, mut on_end: impl FnMut(&mut Connection)) {
    while let Some(ev) = conn.poll_event() {
        match ev {
            Event::Request(_) | Event::Response(_) => got.push((ev, Vec::new(), Vec::new())),
            Event::Data(d) => got.last_mut().unwrap().1.extend_from_slice(&d),
            Event::End { trailers } => {
                got.last_mut().unwrap().2 = pairs(&trailers);
                on_end(conn);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn requests_round_trip(msgs in proptest::collection::vec(msg(), 1..4), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        // Serialise with the client role, one exchange after another.
        let mut client = Connection::client(Config::default(), Instant::ZERO);
        let mut wire = Vec::new();
        for m in &msgs {
            let mut h = vec![("host".to_string(), "example.com".to_string())];
            h.extend(framing(m));
            client.send_request(&m.method, &m.target, &h).unwrap();
            send_body(&mut client, m);
            wire.extend(drain(&mut client));
            client.receive(b"HTTP/1.1 204 No Content\r\n\r\n");
            while client.poll_event().is_some() {}
        }
        // Parse with the server role, fed in pieces.
        let mut server = Connection::server(Config::default(), Instant::ZERO);
        let mut got: Got = Vec::new();
        let respond = |c: &mut Connection| {
            c.send_response(204, &[] as &[(&str, &str)]).unwrap();
            c.finish().unwrap();
        };
        for piece in pieces(&wire, &cuts) {
            let mut rest = &piece[..];
            while !rest.is_empty() {
                let n = server.receive(rest);
                rest = &rest[n..];
                collect(&mut server, &mut got, respond);
            }
        }
        collect(&mut server, &mut got, respond);
        prop_assert_eq!(got.len(), msgs.len());
        for (m, (ev, b, t)) in msgs.iter().zip(&got) {
            let Event::Request(h) = ev else { panic!() };
            prop_assert_eq!(h.method.as_bytes(), m.method.as_bytes());
            prop_assert_eq!(&h.target[..], m.target.as_bytes());
            let mut want = vec![("host".to_string(), "example.com".to_string())];
            want.extend(framing(m));
            prop_assert_eq!(pairs(&h.headers), want);
            prop_assert_eq!(b, &body(m));
            prop_assert_eq!(t, &m.trailers);
        }
    }

    #[test]
    fn responses_round_trip(msgs in proptest::collection::vec(msg(), 1..4), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        let mut server = Connection::server(Config::default(), Instant::ZERO);
        let mut client = Connection::client(Config::default(), Instant::ZERO);
        let mut wire = Vec::new();
        for m in &msgs {
            server.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            while server.poll_event().is_some() {}
            server.send_response(m.status, &framing(m)).unwrap();
            send_body(&mut server, m);
            wire.extend(drain(&mut server));
        }
        let mut got: Got = Vec::new();
        let mut sent = 0;
        let mut send_next = |c: &mut Connection| {
            if sent < msgs.len() {
                c.send_request("GET", "/", &[("host", "a")]).unwrap();
                c.finish().unwrap();
                sent += 1;
            }
        };
        send_next(&mut client);
        for piece in pieces(&wire, &cuts) {
            let mut rest = &piece[..];
            while !rest.is_empty() {
                let n = client.receive(rest);
                rest = &rest[n..];
                collect(&mut client, &mut got, &mut send_next);
            }
        }
        collect(&mut client, &mut got, &mut send_next);
        prop_assert_eq!(got.len(), msgs.len());
        for (m, (ev, b, t)) in msgs.iter().zip(&got) {
            let Event::Response(h) = ev else { panic!() };
            prop_assert_eq!(h.status, m.status);
            prop_assert_eq!(pairs(&h.headers), framing(m));
            prop_assert_eq!(b, &body(m));
            prop_assert_eq!(t, &m.trailers);
        }
    }
}
