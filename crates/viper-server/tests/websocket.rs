//! WebSocket at the server: messages before a protocol error are delivered,
//! permessage-deflate is negotiated and bounded.

use viper_core::{receive_with, transmit_with};
use viper_server::{CloseReason, Config, Connection, Event, Instant, WsMessage};

fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    let key = [1u8, 2, 3, 4];
    let mut f = vec![first];
    if payload.len() < 126 {
        f.push(0x80 | payload.len() as u8);
    } else if payload.len() < 65536 {
        f.push(0x80 | 126);
        f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    } else {
        f.push(0x80 | 127);
        f.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    }
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

fn feed(c: &mut Connection, data: &[u8]) -> Vec<Event> {
    let mut evs = Vec::new();
    receive_with(c, data, |_, e| evs.push(e));
    evs
}

fn drain(c: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    transmit_with(c, |b| {
        out.extend_from_slice(b);
        b.len()
    });
    out
}

fn open(c: &mut Connection, extra: &str) -> (u32, String) {
    let req = format!("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n");
    let evs = feed(c, req.as_bytes());
    let id = evs
        .iter()
        .find_map(|e| match e {
            Event::Request(r) => Some(r.id),
            _ => None,
        })
        .unwrap();
    c.accept_websocket(id, &[]).unwrap();
    let head = String::from_utf8_lossy(&drain(c)).into_owned();
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    (id, head)
}

#[test]
fn messages_before_a_protocol_error_reach_the_application() {
    for bad in [
        masked(0x80 | 0x40 | 1, b"x"), // RSV1 without permessage-deflate
        masked(0x80 | 0x10 | 2, b"x"), // RSV3
        masked(0x80 | 4, b"x"),        // reserved opcode
        masked(0x80, b"x"),            // continuation without a message
    ] {
        let mut c = Connection::new(Config::default(), Instant::ZERO);
        let (id, _) = open(&mut c, "");
        let mut input = masked(0x81, b"first");
        input.extend(masked(0x02, b"sec")); // fragmented binary
        input.extend(masked(0x80, b"ond"));
        input.extend(&bad);
        let evs = feed(&mut c, &input);
        assert_eq!(
            evs,
            vec![
                Event::WsMessage {
                    id,
                    message: WsMessage::Text("first".into())
                },
                Event::WsMessage {
                    id,
                    message: WsMessage::Binary(b"second".to_vec())
                },
                Event::WsClosed { id, code: 1002 },
                Event::Closed {
                    reason: CloseReason::ProtocolError
                },
            ],
            "{bad:x?}"
        );
    }
}

// ---------------------------------------------------------------- permessage-deflate

use viper_ws::deflate::DeflateConfig;
use viper_ws::handshake::ClientHandshake;
use viper_ws::{Event as WsEvent, WebSocket};

/// Opens a session offered by a viper-ws client with permessage-deflate; returns the
/// server connection, the request id, the client, and the 101 head.
fn open_deflate(config: Config) -> (Connection, u32, WebSocket, String) {
    let hs = ClientHandshake::new([7; 16]).deflate(DeflateConfig::default());
    let mut req = Vec::new();
    hs.write_request("h", "/ws", &mut req);
    let mut c = Connection::new(config, Instant::ZERO);
    let evs = feed(&mut c, &req);
    let id = evs
        .iter()
        .find_map(|e| match e {
            Event::Request(r) => Some(r.id),
            _ => None,
        })
        .unwrap();
    c.accept_websocket(id, &[]).unwrap();
    let out = drain(&mut c);
    let head = String::from_utf8_lossy(&out).into_owned();
    let mut hdrs = [httparse::EMPTY_HEADER; 16];
    let mut resp = httparse::Response::new(&mut hdrs);
    let n = match resp.parse(&out).unwrap() {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => panic!("partial 101"),
    };
    assert_eq!(n, out.len());
    let neg = hs
        .validate_response(
            resp.code.unwrap(),
            resp.headers.iter().map(|h| (h.name.as_bytes(), h.value)),
        )
        .unwrap();
    let client = WebSocket::client(viper_ws::Config::default(), &neg, 3);
    (c, id, client, head)
}

fn client_to_server(client: &mut WebSocket, c: &mut Connection) -> Vec<Event> {
    let mut wire = Vec::new();
    transmit_with(client, |b| {
        wire.extend_from_slice(b);
        b.len()
    });
    feed(c, &wire)
}

fn server_to_client(c: &mut Connection, client: &mut WebSocket) -> (Vec<u8>, Vec<WsEvent>) {
    let wire = drain(c);
    let mut evs = Vec::new();
    receive_with(client, &wire, |_, e| evs.push(e));
    (wire, evs)
}

#[test]
fn permessage_deflate_is_negotiated_and_used_both_ways() {
    let (mut c, id, mut client, head) = open_deflate(Config::default());
    assert!(
        head.to_ascii_lowercase()
            .contains("sec-websocket-extensions: permessage-deflate"),
        "{head}"
    );
    assert!(client.deflate().is_some());
    // Client -> server: compressed on the wire (RSV1), delivered inflated.
    let long = "compress me ".repeat(500);
    client.send_text(&long).unwrap();
    let evs = client_to_server(&mut client, &mut c);
    assert_eq!(
        evs,
        vec![Event::WsMessage {
            id,
            message: WsMessage::Text(long.clone())
        }]
    );
    // Server -> client: a long message is compressed (RSV1 set, much smaller), a
    // short one (under min_compress_size) is not.
    c.ws_send_text(id, &long).unwrap();
    let (wire, evs) = server_to_client(&mut c, &mut client);
    assert_eq!(wire[0], 0x80 | 0x40 | 1, "FIN + RSV1 + text");
    assert!(wire.len() < long.len() / 10, "{} bytes", wire.len());
    assert_eq!(evs, vec![WsEvent::Text(long)]);
    c.ws_send_text(id, "short").unwrap();
    let (wire, evs) = server_to_client(&mut c, &mut client);
    assert_eq!(wire, b"\x81\x05short");
    assert_eq!(evs, vec![WsEvent::Text("short".into())]);
}

#[test]
fn permessage_deflate_can_be_declined() {
    let config = Config {
        ws_deflate: None,
        ..Config::default()
    };
    let (_c, _id, client, head) = open_deflate(config);
    assert!(
        !head.to_ascii_lowercase().contains("permessage-deflate"),
        "{head}"
    );
    assert!(client.deflate().is_none());
}

#[test]
fn a_deflate_bomb_is_closed_with_1009() {
    let mut config = Config::default();
    config.ws.max_message_size = 64 * 1024;
    let (mut c, id, mut client, _) = open_deflate(config);
    // 8 MiB of zeros compresses to a few KiB: far below any frame limit, far above
    // the message limit once inflated.
    let bomb = vec![0u8; 8 << 20];
    client.send_binary(&bomb).unwrap();
    let mut wire = Vec::new();
    transmit_with(&mut client, |b| {
        wire.extend_from_slice(b);
        b.len()
    });
    assert!(wire.len() < 64 * 1024, "{} bytes on the wire", wire.len());
    let evs = feed(&mut c, &wire);
    assert_eq!(
        evs,
        vec![
            Event::WsClosed { id, code: 1009 },
            Event::Closed {
                reason: CloseReason::Limit
            }
        ]
    );
    let out = drain(&mut c);
    assert_eq!(&out[..4], b"\x88\x02\x03\xf1", "close frame 1009");
}
