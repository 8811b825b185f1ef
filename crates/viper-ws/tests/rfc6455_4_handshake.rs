//! RFC 6455 §4: the opening handshake, both roles.
mod common;

use viper_ws::deflate::DeflateConfig;
use viper_ws::handshake::{accept, accept_key, ClientHandshake, HandshakeError, ServerConfig};

fn hdrs<'a>(h: &'a [(&'a str, &'a str)]) -> Vec<(&'a [u8], &'a [u8])> {
    h.iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        .collect()
}

const SAMPLE: &[(&str, &str)] = &[
    ("Host", "server.example.com"),
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("Origin", "http://example.com"),
    ("Sec-WebSocket-Protocol", "chat, superchat"),
    ("Sec-WebSocket-Version", "13"),
];

#[test]
fn s1_3_accept_key_of_the_rfc_sample() {
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn s4_2_2_server_answers_101_with_accept_and_protocol() {
    let cfg = ServerConfig {
        protocols: vec!["superchat".into(), "chat".into()],
        deflate: None,
    };
    let a = accept(b"GET", (1, 1), hdrs(SAMPLE), &cfg).unwrap();
    assert_eq!(a.negotiated.protocol.as_deref(), Some("superchat"));
    let mut out = Vec::new();
    a.write_response(&mut out);
    assert_eq!(
        out,
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: superchat\r\n\r\n"
    );
}

#[test]
fn s4_2_1_tokens_are_case_insensitive_and_listed() {
    let h = [
        ("host", "x"),
        ("UPGRADE", "foo, WebSocket"),
        ("connection", "keep-alive, UPGRADE"),
        ("sec-websocket-key", " dGhlIHNhbXBsZSBub25jZQ== "),
        ("sec-websocket-version", "13"),
    ];
    let a = accept(b"GET", (1, 1), hdrs(&h), &ServerConfig::default()).unwrap();
    assert_eq!(a.negotiated.protocol, None);
    assert_eq!(a.negotiated.deflate, None);
}

fn reject(h: &[(&str, &str)]) -> (u16, HandshakeError, Vec<u8>) {
    reject_m(b"GET", (1, 1), h)
}

fn reject_m(m: &[u8], v: (u8, u8), h: &[(&str, &str)]) -> (u16, HandshakeError, Vec<u8>) {
    let r = accept(m, v, hdrs(h), &ServerConfig::default()).unwrap_err();
    let mut out = Vec::new();
    r.write_response(&mut out);
    (r.status, r.error, out)
}

fn without(name: &str) -> Vec<(&'static str, &'static str)> {
    SAMPLE.iter().copied().filter(|(n, _)| *n != name).collect()
}

fn replaced(name: &str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    SAMPLE
        .iter()
        .map(|&(n, v)| if n == name { (n, value) } else { (n, v) })
        .collect()
}

#[test]
fn s4_2_1_rejections_400() {
    assert_eq!(
        reject_m(b"POST", (1, 1), SAMPLE).1,
        HandshakeError::MethodNotGet
    );
    assert_eq!(
        reject_m(b"GET", (1, 0), SAMPLE).1,
        HandshakeError::HttpVersion
    );
    assert_eq!(reject(&without("Host")).1, HandshakeError::MissingHost);
    assert_eq!(
        reject(&without("Connection")).1,
        HandshakeError::MissingConnectionUpgrade
    );
    assert_eq!(
        reject(&replaced("Connection", "keep-alive")).1,
        HandshakeError::MissingConnectionUpgrade
    );
    assert_eq!(
        reject(&without("Sec-WebSocket-Key")).1,
        HandshakeError::InvalidKey
    );
    // 15 bytes, not 16.
    assert_eq!(
        reject(&replaced("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA")).1,
        HandshakeError::InvalidKey
    );
    assert_eq!(
        reject(&replaced("Sec-WebSocket-Key", "not base64!")).1,
        HandshakeError::InvalidKey
    );
    let mut dup = SAMPLE.to_vec();
    dup.push(("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="));
    let (status, err, bytes) = reject(&dup);
    assert_eq!((status, err), (400, HandshakeError::InvalidKey));
    assert_eq!(
        bytes,
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    );
}

#[test]
fn s4_4_wrong_version_is_426_with_supported_version() {
    let (status, err, bytes) = reject(&replaced("Sec-WebSocket-Version", "8"));
    assert_eq!((status, err), (426, HandshakeError::UnsupportedVersion));
    assert_eq!(
        bytes,
        b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n"
    );
    assert_eq!(reject(&without("Sec-WebSocket-Version")).0, 426);
}

#[test]
fn s4_2_1_missing_upgrade_is_426() {
    let (status, err, bytes) = reject(&without("Upgrade"));
    assert_eq!((status, err), (426, HandshakeError::MissingUpgrade));
    assert!(bytes.starts_with(b"HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\n"));
}

#[test]
fn s4_1_client_request_and_validation() {
    let c = ClientHandshake::new(*b"the sample nonce").protocols(["chat"]);
    let mut req = Vec::new();
    c.write_request("server.example.com", "/chat", &mut req);
    assert_eq!(
        req,
        b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
    );
    let good = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        ("Sec-WebSocket-Protocol", "chat"),
    ];
    let n = c.validate_response(101, hdrs(&good)).unwrap();
    assert_eq!(n.protocol.as_deref(), Some("chat"));
    assert_eq!(
        c.validate_response(200, hdrs(&good)),
        Err(HandshakeError::UnexpectedStatus(200))
    );
    let mut bad = good;
    bad[2].1 = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assert_eq!(
        c.validate_response(101, hdrs(&bad)),
        Err(HandshakeError::InvalidAccept)
    );
    let mut bad = good;
    bad[3].1 = "superchat";
    assert_eq!(
        c.validate_response(101, hdrs(&bad)),
        Err(HandshakeError::InvalidProtocol)
    );
    let mut ext = good.to_vec();
    ext.push(("Sec-WebSocket-Extensions", "permessage-deflate"));
    // permessage-deflate was not offered.
    assert_eq!(
        c.validate_response(101, hdrs(&ext)),
        Err(HandshakeError::InvalidExtension)
    );
    assert_eq!(
        c.validate_response(101, hdrs(&good[..3])).unwrap().protocol,
        None,
        "a server may pick no subprotocol"
    );
    let bad = [
        ("Upgrade", "websocket"),
        ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
    ];
    assert_eq!(
        c.validate_response(101, hdrs(&bad)),
        Err(HandshakeError::MissingConnectionUpgrade)
    );
}

#[test]
fn client_and_server_agree_end_to_end() {
    let c = ClientHandshake::new([7; 16]).deflate(DeflateConfig::default());
    let offered = c.headers();
    let mut req: Vec<(&[u8], &[u8])> = vec![(b"Host", b"h")];
    req.extend(offered.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())));
    let cfg = ServerConfig {
        deflate: Some(DeflateConfig::default()),
        ..Default::default()
    };
    let a = accept(b"GET", (1, 1), req, &cfg).unwrap();
    let resp: Vec<(&[u8], &[u8])> = a
        .headers
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        .collect();
    let n = c.validate_response(101, resp).unwrap();
    assert_eq!(n.deflate, a.negotiated.deflate);
    assert!(n.deflate.is_some());
}

#[test]
fn accept_into_websocket_processes_bytes_after_the_head() {
    let a = accept(b"GET", (1, 1), hdrs(SAMPLE), &ServerConfig::default()).unwrap();
    let mut early = common::cframe(0x81, b"early");
    early.extend(common::cframe(0x89, b"p"));
    let mut ws = a.into_websocket(viper_ws::Config::default(), &early);
    assert_eq!(ws.poll_event(), Some(viper_ws::Event::Text("early".into())));
    assert_eq!(ws.poll_event(), Some(viper_ws::Event::Ping(b"p".to_vec())));
    assert_eq!(common::out(&mut ws), common::sframe(0x8a, b"p"));
}
