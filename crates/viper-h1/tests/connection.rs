//! The connection state machine through the public API: RFC 9112 examples, both
//! roles, keep-alive, pipelining, Expect, Upgrade, HTTP/2 preface, timers, limits.

mod common;

use common::{body_of, drain, drive_server, first_error};
use viper_h1::{
    BodyKind, Config, Connection, ContinueMode, Duration, ErrorKind, Event, Head, Instant, Method,
    SendError, TargetForm, Version,
};

const NONE: &[(&str, &str)] = &[];

fn server() -> Connection {
    Connection::server(Config::default(), Instant::ZERO)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn request(conn: &mut Connection) -> viper_h1::RequestHead {
    match conn.poll_event() {
        Some(Event::Request(h)) => h,
        other => panic!("expected a request, got {other:?}"),
    }
}

fn expect_end(conn: &mut Connection) {
    match conn.poll_event() {
        Some(Event::End { trailers }) => assert!(trailers.is_empty()),
        other => panic!("expected End, got {other:?}"),
    }
}

// RFC 9112 §2.1's example exchange.
const RFC_REQ: &[u8] = b"GET /hello.txt HTTP/1.1\r\nUser-Agent: curl/7.64.1\r\nHost: www.example.com\r\nAccept-Language: en, mi\r\n\r\n";
const RFC_RES: &[u8] = b"HTTP/1.1 200 OK\r\nDate: Mon, 27 Jul 2009 12:28:53 GMT\r\nServer: Apache\r\nLast-Modified: Wed, 22 Jul 2009 19:15:56 GMT\r\nETag: \"34aa387-d-1568eb00\"\r\nAccept-Ranges: bytes\r\nContent-Length: 51\r\nVary: Accept-Encoding\r\nContent-Type: text/plain\r\n\r\nHello World! My content includes a trailing CRLF.\r\n";

#[test]
fn rfc9112_example_request_server_side() {
    let mut c = server();
    assert_eq!(c.receive(RFC_REQ), RFC_REQ.len());
    let h = request(&mut c);
    assert_eq!(h.method, Method::Get);
    assert_eq!(&h.target[..], b"/hello.txt");
    assert_eq!(h.target_form, TargetForm::Origin);
    assert_eq!(h.version, Version::Http11);
    assert_eq!(h.headers.len(), 3);
    assert_eq!(h.headers.get("host"), Some(&b"www.example.com"[..]));
    assert_eq!(h.headers.get("ACCEPT-LANGUAGE"), Some(&b"en, mi"[..]));
    assert_eq!(h.body, BodyKind::Empty);
    assert!(h.keep_alive);
    expect_end(&mut c);
    assert_eq!(c.poll_event(), None);
    c.send_response(
        200,
        &[("content-length", "51"), ("content-type", "text/plain")],
    )
    .unwrap();
    c.send_data(&b"Hello World! My content includes a trailing CRLF.\r\n"[..])
        .unwrap();
    c.finish().unwrap();
    let out = drain(&mut c);
    assert_eq!(
        text(&out),
        "HTTP/1.1 200 OK\r\ncontent-length: 51\r\ncontent-type: text/plain\r\n\r\nHello World! My content includes a trailing CRLF.\r\n"
    );
    assert!(!c.is_closed());
}

#[test]
fn rfc9112_example_response_client_side() {
    let mut c = Connection::client(Config::default(), Instant::ZERO);
    c.send_request(
        "GET",
        "/hello.txt",
        &[
            ("User-Agent", "curl/7.64.1"),
            ("Host", "www.example.com"),
            ("Accept-Language", "en, mi"),
        ],
    )
    .unwrap();
    c.finish().unwrap();
    assert_eq!(drain(&mut c), RFC_REQ);
    c.receive(RFC_RES);
    let Some(Event::Response(r)) = c.poll_event() else {
        panic!()
    };
    assert_eq!((r.status, &r.reason[..]), (200, &b"OK"[..]));
    assert_eq!(r.headers.get("etag"), Some(&b"\"34aa387-d-1568eb00\""[..]));
    assert_eq!(r.body, BodyKind::Length(51));
    let Some(Event::Data(d)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(
        &d[..],
        b"Hello World! My content includes a trailing CRLF.\r\n"
    );
    expect_end(&mut c);
    assert!(!c.is_closed());
    // The connection is reusable for the next request.
    c.send_request("GET", "/", &[("host", "a")]).unwrap();
}

#[test]
fn chunked_request_body_with_extensions_and_trailers() {
    let mut c = server();
    let input = b"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\nX-Checksum: 7\r\n\r\n";
    c.receive(input);
    let h = request(&mut c);
    assert_eq!(h.body, BodyKind::Chunked);
    let mut body = Vec::new();
    loop {
        match c.poll_event() {
            Some(Event::Data(d)) => body.extend_from_slice(&d),
            Some(Event::End { trailers }) => {
                assert_eq!(trailers.len(), 2);
                assert_eq!(trailers.get("expires"), Some(&b"never"[..]));
                assert_eq!(trailers.get("x-checksum"), Some(&b"7"[..]));
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(body, b"Wikipedia in\r\n\r\nchunks.");
}

#[test]
fn chunked_response_with_trailers_round_trips_to_client() {
    let mut s = server();
    s.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    request(&mut s);
    expect_end(&mut s);
    s.send_response(200, &[("content-type", "text/plain")])
        .unwrap();
    s.send_data(&b"hello "[..]).unwrap();
    s.send_data(vec![b'x'; 600]).unwrap();
    s.send_data(bytes::Bytes::new()).unwrap();
    s.send_trailers(&[("x-sum", "42")]).unwrap();
    let out = drain(&mut s);
    let t = text(&out);
    assert!(t.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n6\r\nhello \r\n258\r\n"));
    assert!(t.ends_with("\r\n0\r\nx-sum: 42\r\n\r\n"));

    let mut c = Connection::client(Config::default(), Instant::ZERO);
    c.send_request("GET", "/", &[("host", "a")]).unwrap();
    c.finish().unwrap();
    c.receive(&out);
    let Some(Event::Response(r)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(r.body, BodyKind::Chunked);
    let mut body = Vec::new();
    loop {
        match c.poll_event() {
            Some(Event::Data(d)) => body.extend_from_slice(&d),
            Some(Event::End { trailers }) => {
                assert_eq!(trailers.get("X-Sum"), Some(&b"42"[..]));
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(body.len(), 606);
}

#[test]
fn request_target_forms() {
    for (line, form) in [
        ("GET /where?q=now HTTP/1.1", TargetForm::Origin),
        (
            "GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1",
            TargetForm::Absolute,
        ),
        ("CONNECT www.example.com:80 HTTP/1.1", TargetForm::Authority),
        ("CONNECT [2001:db8::1]:443 HTTP/1.1", TargetForm::Authority),
        ("OPTIONS * HTTP/1.1", TargetForm::Asterisk),
    ] {
        let mut c = server();
        c.receive(format!("{line}\r\nHost: www.example.com\r\n\r\n").as_bytes());
        let h = match c.poll_event() {
            Some(Event::Request(h)) => h,
            Some(Event::Upgrade {
                head: Head::Request(h),
                ..
            }) => h,
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(h.target_form, form, "{line}");
    }
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let input = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: a\r\n\r\n";
    let (events, out, conn) = drive_server(Config::default(), &[input], false);
    let targets: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Request(h) => Some(h.target.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(targets, ["/1", "/2", "/3"]);
    assert_eq!(body_of(&events), b"abc");
    assert_eq!(
        text(&out),
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n/1HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n/2HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n/3"
    );
    assert!(!conn.is_closed());
}

#[test]
fn next_request_waits_for_the_previous_response() {
    let mut c = server();
    c.receive(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
    request(&mut c);
    expect_end(&mut c);
    assert_eq!(c.poll_event(), None, "request 2 must wait");
    c.send_response(204, NONE).unwrap();
    c.finish().unwrap();
    assert_eq!(&request(&mut c).target[..], b"/2");
}

#[test]
fn input_backpressure_with_many_pipelined_requests() {
    let cfg = Config {
        max_head_size: 256,
        max_buffered_input: 512,
        ..Config::default()
    };
    let one = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
    let input: Vec<u8> = one.iter().copied().cycle().take(one.len() * 100).collect();
    let mut c = Connection::server(cfg.clone(), Instant::ZERO);
    let first = c.receive(&input);
    assert!(first <= 512, "took {first}");
    let (events, _, conn) = drive_server(cfg, &[&input], false);
    let n = events
        .iter()
        .filter(|e| matches!(e, Event::Request(_)))
        .count();
    assert_eq!(n, 100);
    assert_eq!(conn.buffered_input(), 0);
}

#[test]
fn connection_close_from_client() {
    let (events, out, conn) = drive_server(
        Config::default(),
        &[b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\nHost: a\r\n\r\n"],
        false,
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Request(_)))
            .count(),
        1
    );
    assert_eq!(
        text(&out),
        "HTTP/1.1 200 OK\r\ncontent-length: 1\r\nconnection: close\r\n\r\n/"
    );
    assert!(conn.is_closed());
}

#[test]
fn http10_defaults_to_close_and_honours_keep_alive() {
    let (_, out, conn) = drive_server(Config::default(), &[b"GET / HTTP/1.0\r\n\r\n"], false);
    assert_eq!(
        text(&out),
        "HTTP/1.1 200 OK\r\ncontent-length: 1\r\nconnection: close\r\n\r\n/"
    );
    assert!(conn.is_closed());

    let (events, out, conn) = drive_server(
        Config::default(),
        &[b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n"],
        false,
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Request(_)))
            .count(),
        2
    );
    assert_eq!(
        text(&out),
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n/aHTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n/b"
    );
    assert!(conn.is_closed());
}

#[test]
fn http10_response_without_length_is_close_delimited() {
    let mut c = server();
    c.receive(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    request(&mut c);
    expect_end(&mut c);
    c.send_response(200, NONE).unwrap();
    c.send_data(&b"streamed"[..]).unwrap();
    c.finish().unwrap();
    assert_eq!(
        text(&drain(&mut c)),
        "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nstreamed"
    );
    assert!(c.is_closed());
}

#[test]
fn head_204_304_responses_have_no_body() {
    let mut c = server();
    c.receive(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
    request(&mut c);
    expect_end(&mut c);
    c.send_response(200, &[("content-length", "1234")]).unwrap();
    assert_eq!(c.send_data(&b"x"[..]), Err(SendError::BodyNotAllowed));
    c.finish().unwrap();
    assert_eq!(
        text(&drain(&mut c)),
        "HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n"
    );

    for status in [204u16, 304] {
        let mut c = server();
        c.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        request(&mut c);
        c.send_response(status, NONE).unwrap();
        assert_eq!(c.send_data(&b"x"[..]), Err(SendError::BodyNotAllowed));
        c.finish().unwrap();
        let t = text(&drain(&mut c));
        assert!(!t.contains("transfer-encoding"), "{t}");
        assert!(t.ends_with("\r\n\r\n"));
    }
}

#[test]
fn client_parses_bodyless_and_close_delimited_responses() {
    // HEAD: Content-Length describes the representation, no body follows.
    let mut c = Connection::client(Config::default(), Instant::ZERO);
    c.send_request("HEAD", "/", &[("host", "a")]).unwrap();
    c.finish().unwrap();
    c.receive(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n");
    let Some(Event::Response(r)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(r.body, BodyKind::Empty);
    expect_end(&mut c);
    c.send_request("GET", "/", &[("host", "a")]).unwrap();
    c.finish().unwrap();
    let Some(Event::Response(r)) = c.poll_event() else {
        panic!()
    };
    assert_eq!((r.status, r.body), (304, BodyKind::Empty));
    expect_end(&mut c);

    // No framing headers: read until the server closes.
    let mut c = Connection::client(Config::default(), Instant::ZERO);
    c.send_request("GET", "/", &[("host", "a")]).unwrap();
    c.finish().unwrap();
    c.receive(b"HTTP/1.0 200 OK\r\n\r\nsome");
    let Some(Event::Response(r)) = c.poll_event() else {
        panic!()
    };
    assert_eq!((r.body, r.keep_alive), (BodyKind::CloseDelimited, false));
    assert_eq!(c.poll_event(), Some(Event::Data("some".into())));
    assert_eq!(c.poll_event(), None);
    c.receive(b" more");
    assert_eq!(c.poll_event(), Some(Event::Data(" more".into())));
    c.receive_eof();
    expect_end(&mut c);
    assert!(c.is_closed());
}

#[test]
fn client_interim_responses_and_switches() {
    let mut c = Connection::client(Config::default(), Instant::ZERO);
    c.send_request(
        "POST",
        "/",
        &[
            ("host", "a"),
            ("expect", "100-continue"),
            ("content-length", "2"),
        ],
    )
    .unwrap();
    c.receive(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n");
    assert_eq!(c.poll_event(), Some(Event::Continue));
    let Some(Event::Informational(h)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(h.status, 103);
    c.send_data(&b"ok"[..]).unwrap();
    c.finish().unwrap();
    c.receive(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    let Some(Event::Response(r)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(r.status, 201);
    expect_end(&mut c);

    // 101 hands over every byte after the head.
    c.send_request(
        "GET",
        "/chat",
        &[
            ("host", "a"),
            ("upgrade", "websocket"),
            ("connection", "upgrade"),
        ],
    )
    .unwrap();
    c.finish().unwrap();
    c.receive(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi");
    let Some(Event::Upgrade {
        head: Head::Response(h),
        rest,
    }) = c.poll_event()
    else {
        panic!()
    };
    assert_eq!(h.status, 101);
    assert_eq!(&rest[..], b"\x81\x02hi");
    assert!(c.is_switched());
    assert_eq!(c.receive(b"more"), 0);

    let mut c = Connection::client(Config::default(), Instant::ZERO);
    c.send_request("CONNECT", "example.com:443", &[("host", "example.com:443")])
        .unwrap();
    c.finish().unwrap();
    c.receive(b"HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03");
    let Some(Event::Upgrade { rest, .. }) = c.poll_event() else {
        panic!()
    };
    assert_eq!(&rest[..], b"\x16\x03");
}

#[test]
fn expect_100_continue_automatic() {
    let mut c = server();
    c.receive(b"PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    let h = request(&mut c);
    assert!(h.expects_continue);
    assert_eq!(text(&drain(&mut c)), "HTTP/1.1 100 Continue\r\n\r\n");
    c.receive(b"data");
    assert_eq!(c.poll_event(), Some(Event::Data("data".into())));
    expect_end(&mut c);
    c.send_response(201, &[("content-length", "0")]).unwrap();
    c.finish().unwrap();
    assert!(!c.is_closed());
}

#[test]
fn expect_100_continue_manual() {
    let cfg = Config {
        continue_mode: ContinueMode::Manual,
        ..Config::default()
    };
    let head = b"PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
    // Accept: the application asks for the body.
    let mut c = Connection::server(cfg.clone(), Instant::ZERO);
    c.receive(head);
    request(&mut c);
    assert!(!c.has_output());
    c.send_continue().unwrap();
    assert_eq!(c.send_continue(), Err(SendError::WrongState));
    assert_eq!(text(&drain(&mut c)), "HTTP/1.1 100 Continue\r\n\r\n");
    // Refuse: a final response without 100 closes the connection.
    let mut c = Connection::server(cfg, Instant::ZERO);
    c.receive(head);
    request(&mut c);
    c.send_response(413, &[("content-length", "0")]).unwrap();
    c.finish().unwrap();
    assert_eq!(
        text(&drain(&mut c)),
        "HTTP/1.1 413 Content Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    c.receive(b"data");
    while c.poll_event().is_some() {}
    assert!(!c.is_keep_alive());
}

#[test]
fn websocket_upgrade_hands_over_rest() {
    let mut c = server();
    let head = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let mut input = head.to_vec();
    input.extend_from_slice(b"\x81\x85frame");
    c.receive(&input);
    let Some(Event::Upgrade {
        head: Head::Request(h),
        rest,
    }) = c.poll_event()
    else {
        panic!()
    };
    assert_eq!(
        h.headers.get("sec-websocket-key"),
        Some(&b"dGhlIHNhbXBsZSBub25jZQ=="[..])
    );
    assert_eq!(&rest[..], b"\x81\x85frame");
    assert_eq!(c.receive(b"later"), 0, "no input is taken after an upgrade");
    assert_eq!(c.poll_event(), None);
    c.send_response(
        101,
        &[
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        ],
    )
    .unwrap();
    assert!(c.is_switched());
    assert!(text(&drain(&mut c))
        .starts_with("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n"));
}

#[test]
fn declined_upgrade_closes_after_response_and_h2c_is_reported() {
    let mut c = server();
    c.receive(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
    let Some(Event::Upgrade {
        head: Head::Request(h),
        rest,
    }) = c.poll_event()
    else {
        panic!()
    };
    assert_eq!(h.headers.get("upgrade"), Some(&b"h2c"[..]));
    assert!(rest.is_empty());
    c.send_response(200, &[("content-length", "2")]).unwrap();
    c.send_data(&b"no"[..]).unwrap();
    c.finish().unwrap();
    assert!(text(&drain(&mut c)).contains("connection: close\r\n"));
    assert!(c.is_closed());
    // Upgrade without the Connection token is an ordinary request.
    let mut c = server();
    c.receive(b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n");
    request(&mut c);
}

#[test]
fn connect_is_an_upgrade() {
    let mut c = server();
    c.receive(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01");
    let Some(Event::Upgrade {
        head: Head::Request(h),
        rest,
    }) = c.poll_event()
    else {
        panic!()
    };
    assert_eq!(h.method, Method::Connect);
    assert_eq!(&rest[..], b"\x16\x03\x01");
    c.send_response(200, NONE).unwrap();
    assert!(c.is_switched());
    assert_eq!(text(&drain(&mut c)), "HTTP/1.1 200 OK\r\n\r\n");
}

#[test]
fn http2_preface_is_reported_whole_or_split() {
    let mut input = viper_h1::H2_PREFACE.to_vec();
    input.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    for split in 0..input.len() {
        let mut c = server();
        c.receive(&input[..split]);
        if split < viper_h1::H2_PREFACE.len() {
            assert_eq!(c.poll_event(), None, "split {split}");
            c.receive(&input[split..]);
        }
        let Some(Event::Http2Preface { bytes }) = c.poll_event() else {
            panic!("split {split}")
        };
        let mut got = bytes.to_vec();
        if split >= viper_h1::H2_PREFACE.len() {
            assert_eq!(c.receive(&input[split..]), 0);
            got.extend_from_slice(&input[split..]);
        }
        assert_eq!(got, input);
        assert!(c.is_switched());
    }
    // Not at the start of the connection: an ordinary parse error.
    let (events, _, _) = drive_server(
        Config::default(),
        &[b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", viper_h1::H2_PREFACE],
        false,
    );
    assert_eq!(
        first_error(&events).map(|e| e.kind),
        Some(ErrorKind::MalformedHead)
    );
}

#[test]
fn half_close_still_delivers_the_response() {
    let mut c = server();
    c.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    c.receive_eof();
    request(&mut c);
    expect_end(&mut c);
    assert_eq!(c.poll_event(), None);
    c.send_response(200, &[("content-length", "2")]).unwrap();
    c.send_data(&b"ok"[..]).unwrap();
    c.finish().unwrap();
    assert!(text(&drain(&mut c)).ends_with("connection: close\r\n\r\nok"));
    assert!(c.is_closed());
    // EOF at a message boundary.
    let mut c = server();
    c.receive_eof();
    assert_eq!(c.poll_event(), Some(Event::Closed));
    assert!(c.is_closed());
}

#[test]
fn max_requests_per_connection() {
    let cfg = Config {
        max_requests_per_connection: 2,
        ..Config::default()
    };
    let (events, out, conn) = drive_server(
        cfg,
        &[b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n"],
        false,
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Request(_)))
            .count(),
        2
    );
    assert!(text(&out).ends_with("connection: close\r\n\r\n/2"));
    assert!(conn.is_closed());
}

#[test]
fn header_read_timeout() {
    let mut c = server();
    assert_eq!(
        c.poll_timeout(),
        Some(Instant::ZERO + Duration::from_secs(60)),
        "idle timer"
    );
    c.handle_timeout(Instant::from_millis(1_000));
    c.receive(b"GET / HTTP/1.1\r\nHo");
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(11_000)));
    c.handle_timeout(Instant::from_millis(5_000));
    c.receive(b"st: a\r\n");
    assert_eq!(
        c.poll_timeout(),
        Some(Instant::from_millis(11_000)),
        "trickling does not extend it"
    );
    c.handle_timeout(Instant::from_millis(10_999));
    assert_eq!(c.poll_event(), None);
    c.handle_timeout(Instant::from_millis(11_000));
    let Some(Event::Error(e)) = c.poll_event() else {
        panic!()
    };
    assert_eq!((e.kind, e.status), (ErrorKind::HeaderTimeout, Some(408)));
    c.send_response(408, &[("content-length", "0")]).unwrap();
    c.finish().unwrap();
    assert!(c.is_closed());
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn idle_timeout_after_a_response() {
    let mut c = server();
    c.handle_timeout(Instant::from_millis(2_000));
    c.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    request(&mut c);
    expect_end(&mut c);
    assert_eq!(c.poll_timeout(), None, "the application is working");
    c.handle_timeout(Instant::from_millis(3_000));
    c.send_response(204, NONE).unwrap();
    c.finish().unwrap();
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(63_000)));
    c.handle_timeout(Instant::from_millis(63_000));
    let Some(Event::Error(e)) = c.poll_event() else {
        panic!()
    };
    assert_eq!((e.kind, e.status), (ErrorKind::IdleTimeout, None));
    assert!(c.is_closed());
}

#[test]
fn body_read_timeout_resets_on_progress() {
    let mut c = server();
    c.receive(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345");
    request(&mut c);
    assert_eq!(c.poll_event(), Some(Event::Data("12345".into())));
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(30_000)));
    c.handle_timeout(Instant::from_millis(20_000));
    c.receive(b"67");
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(50_000)));
    assert_eq!(c.poll_event(), Some(Event::Data("67".into())));
    c.handle_timeout(Instant::from_millis(49_999));
    assert_eq!(c.poll_event(), None);
    c.handle_timeout(Instant::from_millis(50_000));
    let Some(Event::Error(e)) = c.poll_event() else {
        panic!()
    };
    assert_eq!((e.kind, e.status), (ErrorKind::BodyTimeout, Some(408)));
}

#[test]
fn send_side_misuse_is_refused() {
    let mut c = server();
    assert_eq!(
        c.send_response(200, NONE),
        Err(SendError::WrongState),
        "no request yet"
    );
    c.receive(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    request(&mut c);
    assert_eq!(
        c.send_response(200, &[("x", "a\r\nInjected: 1")]),
        Err(SendError::InvalidHead)
    );
    assert_eq!(
        c.send_response(200, &[("bad name", "v")]),
        Err(SendError::InvalidHead)
    );
    assert_eq!(
        c.send_response(
            200,
            &[("content-length", "1"), ("transfer-encoding", "chunked")]
        ),
        Err(SendError::InvalidHead)
    );
    assert_eq!(c.send_response(1000, NONE), Err(SendError::InvalidHead));
    assert_eq!(
        c.send_response(101, NONE),
        Err(SendError::WrongState),
        "no upgrade was offered"
    );
    assert!(!c.has_output(), "refused commands write nothing");
    c.send_response(200, &[("content-length", "3")]).unwrap();
    assert_eq!(c.send_response(200, NONE), Err(SendError::WrongState));
    assert_eq!(c.send_data(&b"four"[..]), Err(SendError::BodyTooLong));
    c.send_data(&b"ab"[..]).unwrap();
    assert_eq!(c.finish(), Err(SendError::BodyIncomplete));
    assert_eq!(
        c.send_trailers(&[("a", "b")]),
        Err(SendError::TrailersNotAllowed)
    );
    c.send_data(&b"c"[..]).unwrap();
    c.finish().unwrap();
    assert_eq!(c.finish(), Err(SendError::WrongState));
    assert_eq!(
        c.send_request("GET", "/", NONE),
        Err(SendError::WrongState),
        "wrong role"
    );
    let mut cl = Connection::client(Config::default(), Instant::ZERO);
    assert_eq!(
        cl.send_request("G T", "/", NONE),
        Err(SendError::InvalidHead)
    );
    assert_eq!(
        cl.send_request("GET", "/a b", NONE),
        Err(SendError::InvalidHead)
    );
    cl.send_request("GET", "/", NONE).unwrap();
    assert_eq!(
        cl.send_request("GET", "/", NONE),
        Err(SendError::WrongState),
        "one at a time"
    );
    assert_eq!(cl.send_data(&b"x"[..]), Err(SendError::BodyNotAllowed));
}

#[test]
fn unsolicited_response_is_an_error_for_the_client() {
    let mut c = Connection::client(Config::default(), Instant::ZERO);
    c.receive(b"HTTP/1.1 200 OK\r\n\r\n");
    let Some(Event::Error(e)) = c.poll_event() else {
        panic!()
    };
    assert_eq!((e.kind, e.status), (ErrorKind::UnexpectedData, None));
    assert!(c.is_closed());
}

#[test]
fn client_rejects_smuggled_responses() {
    for (resp, kind) in [
        (
            &b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            ErrorKind::TransferEncodingWithContentLength,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            ErrorKind::DuplicateContentLength,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            ErrorKind::ChunkedNotFinal,
        ),
        (b"HTTP/1.1 200 OK\nContent-Length: 0\n\n", ErrorKind::BareLf),
        (b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", ErrorKind::ObsFold),
        (b"HTTP/1.1 99 Low\r\n\r\n", ErrorKind::MalformedHead),
    ] {
        let mut c = Connection::client(Config::default(), Instant::ZERO);
        c.send_request("GET", "/", &[("host", "a")]).unwrap();
        c.finish().unwrap();
        c.receive(resp);
        let Some(Event::Error(e)) = c.poll_event() else {
            panic!("{kind:?}")
        };
        assert_eq!((e.kind, e.status), (kind, None));
    }
    // A non-chunked final coding means "read until close" (RFC 9112 §6.3).
    let mut c = Connection::client(Config::default(), Instant::ZERO);
    c.send_request("GET", "/", &[("host", "a")]).unwrap();
    c.finish().unwrap();
    c.receive(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz");
    let Some(Event::Response(r)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(r.body, BodyKind::CloseDelimited);
}

/// A mixed pipelined stream fed whole, at every single split point and byte by byte
/// yields the same events (adjacent data merged).
#[test]
fn same_events_at_every_split_point() {
    let input: &[u8] = b"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\nPUT /c HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /d HTTP/1.0\r\n\r\n";
    let (whole, whole_out, _) = drive_server(Config::default(), &[input], true);
    assert_eq!(
        whole
            .iter()
            .filter(|e| matches!(e, Event::Request(_)))
            .count(),
        4
    );
    assert_eq!(first_error(&whole), None);
    for i in 0..=input.len() {
        let (ev, out, _) = drive_server(Config::default(), &[&input[..i], &input[i..]], true);
        assert_eq!(ev, whole, "split at {i}");
        assert_eq!(out, whole_out, "split at {i}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    let (ev, out, _) = drive_server(Config::default(), &bytes, true);
    assert_eq!(ev, whole);
    assert_eq!(out, whole_out);
}

#[test]
fn state_size_is_small() {
    let size = core::mem::size_of::<Connection>();
    println!("size_of::<Connection>() = {size} bytes");
    println!(
        "size_of::<Config>() = {} bytes",
        core::mem::size_of::<viper_h1::Config>()
    );
    assert!(size <= 352, "connection state grew to {size} bytes");
}
