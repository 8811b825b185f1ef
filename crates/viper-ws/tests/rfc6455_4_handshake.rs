//! RFC 6455 §4: the opening handshake, both roles.
mod common;

use viper_ws::deflate::DeflateConfig;
use viper_ws::handshake::{
    accept, accept_key, accept_with_limits, ClientHandshake, HandshakeError, HandshakeLimits,
    ServerConfig,
};

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

/// `count` subprotocol tokens `p0, p1, …`, split over two headers.
fn protocol_offer(count: usize) -> (String, String) {
    let tokens: Vec<String> = (0..count).map(|i| format!("p{i}")).collect();
    let half = count / 2;
    (tokens[..half].join(", "), tokens[half..].join(","))
}

fn sample_with(extra: &[(&str, &str)]) -> Vec<(&'static [u8], &'static [u8])> {
    let mut h: Vec<(&[u8], &[u8])> = hdrs(SAMPLE)
        .into_iter()
        .filter(|(n, _)| *n != b"Sec-WebSocket-Protocol")
        .collect();
    for (n, v) in extra {
        let n: &'static str = String::leak(n.to_string());
        let v: &'static str = String::leak(v.to_string());
        h.push((n.as_bytes(), v.as_bytes()));
    }
    h
}

const BAD_REQUEST: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

fn expect_too_many(r: Result<viper_ws::handshake::Accept, viper_ws::handshake::Reject>) {
    let r = r.unwrap_err();
    assert_eq!((r.status, r.error), (400, HandshakeError::TooManyHeaders));
    let mut out = Vec::new();
    r.write_response(&mut out);
    assert_eq!(out, BAD_REQUEST);
}

#[test]
fn limits_default_to_32_protocols_and_4096_extension_bytes() {
    assert_eq!(
        HandshakeLimits::default(),
        HandshakeLimits {
            max_protocols: 32,
            max_extensions_len: 4096,
        }
    );
}

#[test]
fn limit_max_protocols_is_400_when_exceeded_and_can_be_raised() {
    // The server speaks only the last token offered, so a success shows that
    // every offered token was read.
    let cfg_for = |n: usize| ServerConfig {
        protocols: vec![format!("p{}", n - 1)],
        deflate: None,
    };
    for (limit, at_limit) in [(None, 32), (Some(1), 1), (Some(33), 33), (Some(200), 200)] {
        let limits = HandshakeLimits {
            max_protocols: at_limit,
            ..HandshakeLimits::default()
        };
        let run = |count: usize| {
            let (a, b) = protocol_offer(count);
            let h = sample_with(&[
                ("Sec-WebSocket-Protocol", &a),
                ("Sec-WebSocket-Protocol", &b),
            ]);
            match limit {
                None => accept(b"GET", (1, 1), h, &cfg_for(count)),
                Some(_) => accept_with_limits(b"GET", (1, 1), h, &cfg_for(count), &limits),
            }
        };
        let ok = run(at_limit).unwrap();
        assert_eq!(
            ok.negotiated.protocol,
            Some(format!("p{}", at_limit - 1)),
            "limit {at_limit}"
        );
        expect_too_many(run(at_limit + 1));
    }
    // Raised above the default, 33 (refused by `accept`) is accepted.
    let (a, b) = protocol_offer(33);
    let h = sample_with(&[
        ("Sec-WebSocket-Protocol", &a),
        ("Sec-WebSocket-Protocol", &b),
    ]);
    expect_too_many(accept(b"GET", (1, 1), h.clone(), &cfg_for(33)));
    let raised = HandshakeLimits {
        max_protocols: 64,
        ..HandshakeLimits::default()
    };
    assert!(accept_with_limits(b"GET", (1, 1), h, &cfg_for(33), &raised).is_ok());
    // Empty list elements are not counted.
    let mut list = vec![String::new(); 100];
    list.push("p0".into());
    let h = sample_with(&[("Sec-WebSocket-Protocol", &list.join(","))]);
    let one = HandshakeLimits {
        max_protocols: 1,
        ..HandshakeLimits::default()
    };
    let ok = accept_with_limits(b"GET", (1, 1), h, &cfg_for(1), &one).unwrap();
    assert_eq!(ok.negotiated.protocol.as_deref(), Some("p0"));
}

/// A `Sec-WebSocket-Extensions` value of exactly `len` bytes offering
/// permessage-deflate after an unknown, padded extension.
fn extensions_of_len(len: usize) -> String {
    let head = "x-pad; v=";
    let tail = ", permessage-deflate";
    assert!(len > head.len() + tail.len());
    let v = format!("{head}{}{tail}", "a".repeat(len - head.len() - tail.len()));
    assert_eq!(v.len(), len);
    v
}

#[test]
fn limit_max_extensions_len_is_400_when_exceeded_and_can_be_raised() {
    let cfg = ServerConfig {
        deflate: Some(DeflateConfig::default()),
        ..Default::default()
    };
    for (explicit, limit) in [(false, 4096), (true, 64), (true, 4097), (true, 20_000)] {
        let limits = HandshakeLimits {
            max_extensions_len: limit,
            ..HandshakeLimits::default()
        };
        let run = |h: Vec<(&'static [u8], &'static [u8])>| {
            if explicit {
                accept_with_limits(b"GET", (1, 1), h, &cfg, &limits)
            } else {
                accept(b"GET", (1, 1), h, &cfg)
            }
        };
        // One header of exactly the limit: accepted, and its offer (at the
        // end) negotiated.
        let ok = run(sample_with(&[(
            "Sec-WebSocket-Extensions",
            &extensions_of_len(limit),
        )]))
        .unwrap();
        assert!(ok.negotiated.deflate.is_some(), "limit {limit}");
        expect_too_many(run(sample_with(&[(
            "Sec-WebSocket-Extensions",
            &extensions_of_len(limit + 1),
        )])));
        // Two headers count joined by one ',': 30 + 1 + (limit - 31) fits.
        let first = "x-a; v=".to_string() + &"b".repeat(23);
        let two = |second: usize| {
            run(sample_with(&[
                ("Sec-WebSocket-Extensions", &first),
                ("Sec-WebSocket-Extensions", &extensions_of_len(second)),
            ]))
        };
        assert!(two(limit - 31).unwrap().negotiated.deflate.is_some());
        expect_too_many(two(limit - 30));
    }
    // 4097 bytes: refused by default, accepted with a raised limit.
    let h = sample_with(&[("Sec-WebSocket-Extensions", &extensions_of_len(4097))]);
    expect_too_many(accept(b"GET", (1, 1), h.clone(), &cfg));
    let raised = HandshakeLimits {
        max_extensions_len: 8192,
        ..HandshakeLimits::default()
    };
    let ok = accept_with_limits(b"GET", (1, 1), h, &cfg, &raised).unwrap();
    assert!(ok.negotiated.deflate.is_some());
}
