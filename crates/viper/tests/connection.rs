//! Drives `viper::Connection` with raw HTTP/1.1 and HTTP/2 bytes, no sockets.

mod common;

use std::task::Context;

use serde_json::{json, Value};

fn exchange(input: &[u8]) -> Vec<u8> {
    let app = common::smart_home();
    let mut conn = viper::Connection::new(
        app,
        viper::Config::default(),
        viper::Instant::from_millis(0),
    );
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut off = 0;
    let mut out = Vec::new();
    for _ in 0..1000 {
        if off < input.len() {
            off += conn.receive(&input[off..]);
        }
        let _ = conn.poll_app(&mut cx);
        while let Some(b) = conn.poll_transmit() {
            let n = b.len();
            out.extend_from_slice(b);
            conn.advance_transmit(n);
        }
        if off == input.len() {
            break;
        }
    }
    out
}

fn h1(req: &str) -> common::Reply {
    common::parse_reply(&exchange(req.as_bytes()))
}

fn json_body(r: &common::Reply) -> Value {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&r.body)))
}

#[test]
fn found_and_typed_path() {
    let r = h1("GET /api/sensors/1 HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-powered-by"), Some("Viper"));
    assert_eq!(
        json_body(&r),
        json!({"id":1,"type":"temperature","value":21.5,"unit":"celsius"})
    );
}

#[test]
fn not_found_method_not_allowed_redirect() {
    let r = h1("GET /nope HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(
        (r.status, r.body.as_slice()),
        (404, &br#"{"detail":"Not Found"}"#[..])
    );
    let r = h1("DELETE /api/sensors HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(r.status, 405);
    assert_eq!(r.body, br#"{"detail":"Method Not Allowed"}"#);
    assert!(r.header("allow").unwrap().contains("GET"));
    let r = h1("GET /api/sensors/?a=1 HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(
        (r.status, r.header("location")),
        (307, Some("/api/sensors?a=1"))
    );
    let r = h1("HEAD /hello HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(
        (r.status, r.header("content-length"), r.body.len()),
        (200, Some("13"), 0)
    );
    let r = h1("OPTIONS /hello HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(
        (r.status, r.header("allow")),
        (204, Some("GET, HEAD, OPTIONS"))
    );
}

#[test]
fn validation_errors_are_pydantic_shaped() {
    let r = h1("GET /api/sensors/abc/history?limit=x HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(r.status, 422);
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        r#"{"detail":[{"type":"int_parsing","loc":["path","sensor_id"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"},{"type":"int_parsing","loc":["query","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"}]}"#
    );
    let r = h1("POST /api/devices HTTP/1.1\r\nhost: x\r\nauthorization: Bearer user-token\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}");
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        r#"{"detail":[{"type":"missing","loc":["body","name"],"msg":"Field required","input":{}},{"type":"missing","loc":["body","kind"],"msg":"Field required","input":{}}]}"#
    );
    let r = h1("POST /api/devices HTTP/1.1\r\nhost: x\r\nauthorization: Bearer user-token\r\ncontent-type: application/json\r\ncontent-length: 9\r\n\r\n{\"name\": ");
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        r#"{"detail":[{"type":"json_invalid","loc":["body",9],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting value"}}]}"#
    );
    let r = h1("POST /api/devices HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}");
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some("Bearer"))
    );
    let r = h1("POST /api/devices HTTP/1.1\r\nhost: x\r\nauthorization: Bearer user-token\r\ncontent-type: application/json\r\ncontent-length: 30\r\n\r\n{\"name\":\"Lamp\",\"kind\":\"light\"}");
    assert_eq!(r.status, 201, "{:?}", String::from_utf8_lossy(&r.body));
}

#[test]
fn keep_alive_pipelined_requests() {
    let out =
        exchange(b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\nGET /page HTTP/1.1\r\nhost: x\r\n\r\n");
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert!(text.contains("Hello, world!") && text.contains("<h1>Smart Home</h1>"));
}

/// An HPACK literal field without indexing, no Huffman (RFC 7541 §6.2.2).
fn lit(out: &mut Vec<u8>, n: &str, v: &str) {
    out.push(0x00);
    out.push(n.len() as u8);
    out.extend_from_slice(n.as_bytes());
    out.push(v.len() as u8);
    out.extend_from_slice(v.as_bytes());
}

fn frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    let len = payload.len() as u32;
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

#[test]
fn http2_prior_knowledge() {
    let mut input = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    frame(&mut input, 0x4, 0, 0, &[]);
    let mut block = Vec::new();
    lit(&mut block, ":method", "GET");
    lit(&mut block, ":scheme", "http");
    lit(&mut block, ":path", "/api/sensors/2");
    lit(&mut block, ":authority", "x");
    frame(&mut input, 0x1, 0x4 | 0x1, 1, &block);
    let out = exchange(&input);
    // Walk the frames: a HEADERS and a DATA frame on stream 1, the DATA the JSON.
    let mut pos = 0;
    let mut data = Vec::new();
    let mut saw_headers = false;
    while pos + 9 <= out.len() {
        let len = u32::from_be_bytes([0, out[pos], out[pos + 1], out[pos + 2]]) as usize;
        let kind = out[pos + 3];
        let stream = u32::from_be_bytes([out[pos + 5], out[pos + 6], out[pos + 7], out[pos + 8]]);
        let payload = &out[pos + 9..pos + 9 + len];
        if stream == 1 && kind == 0x1 {
            saw_headers = true;
        }
        if stream == 1 && kind == 0x0 {
            data.extend_from_slice(payload);
        }
        pos += 9 + len;
    }
    assert!(saw_headers);
    assert_eq!(
        serde_json::from_slice::<Value>(&data).unwrap(),
        json!({"id":2,"type":"humidity","value":40.0,"unit":"percent"})
    );
}

#[test]
fn body_over_the_limit_is_413() {
    let body = "x".repeat(viper::DEFAULT_BODY_LIMIT + 1);
    let r = h1(&format!(
        "POST /api/devices HTTP/1.1\r\nhost: x\r\nauthorization: Bearer user-token\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    ));
    assert_eq!(r.status, 413);
    assert_eq!(json_body(&r), json!({"detail": "Request body too large"}));
}

#[test]
fn unknown_method_is_501() {
    let r = h1("BREW /hello HTTP/1.1\r\nhost: x\r\n\r\n");
    assert_eq!(r.status, 501);
}
