//! Peer input never panics the application layer: arbitrary targets, query strings and
//! JSON bodies go through `viper::Connection`, and every request gets a well-formed
//! answer (a status line and, for 422, a JSON `detail` list).

mod common;

use std::task::Context;

use proptest::prelude::*;

fn run(req: &[u8]) -> Vec<u8> {
    let mut conn = viper::Connection::new(
        common::smart_home(),
        viper::Config::default(),
        viper::Instant::from_millis(0),
    );
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut off = 0;
    let mut out = Vec::new();
    for _ in 0..64 {
        if off < req.len() {
            off += conn.receive(&req[off..]);
        } else {
            conn.receive_eof();
        }
        let _ = conn.poll_app(&mut cx);
        while let Some(b) = conn.poll_transmit() {
            let n = b.len();
            out.extend_from_slice(b);
            conn.advance_transmit(n);
        }
        if conn.is_closed() {
            break;
        }
    }
    out
}

fn check_422(out: &[u8]) {
    let r = common::parse_reply(out);
    if r.status == 422 {
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("422 body is JSON");
        let list = v["detail"].as_array().expect("detail list");
        assert!(!list.is_empty());
        for e in list {
            assert!(e["type"].is_string() && e["loc"].is_array() && e["msg"].is_string());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn query_strings(q in "[a-z_=&%0-9A-F+-]{0,40}") {
        for path in ["/api/search", "/api/sensors/1/history", "/api/sensors/x/history"] {
            let out = run(format!("GET {path}?{q} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes());
            prop_assert!(out.starts_with(b"HTTP/1.1 "));
            check_422(&out);
        }
    }

    #[test]
    fn paths(p in "/[a-z0-9/%._-]{0,30}") {
        let out = run(format!("GET {p} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes());
        prop_assert!(out.starts_with(b"HTTP/1.1 "));
    }

    #[test]
    fn json_bodies(body in prop::collection::vec(any::<u8>(), 0..64),
                   shaped in r#"\{("name"|"kind"|"level"|"on"|x)?:? ?("Lamp"|"light"|1|1.5|true|null|\[\]|\{)?,?\}?"#) {
        for b in [body.as_slice(), shaped.as_bytes()] {
            let mut req = format!(
                "POST /api/devices HTTP/1.1\r\nhost: x\r\nauthorization: Bearer user-token\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                b.len()
            ).into_bytes();
            req.extend_from_slice(b);
            let out = run(&req);
            prop_assert!(out.starts_with(b"HTTP/1.1 "));
            check_422(&out);
        }
    }
}
