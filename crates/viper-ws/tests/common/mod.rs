//! Shared helpers for the integration tests: a raw frame builder (independent
//! of the crate's encoder) and small drivers.
#![allow(dead_code, unreachable_pub)]

use viper_ws::deflate::DeflateParams;
use viper_ws::{Config, Event, Negotiated, WebSocket};

/// The masking key used by test frames (RFC 6455 §5.7's example key).
pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Builds a frame byte by byte with the minimal length encoding.
pub fn frame(b0: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut f = vec![b0];
    let m = if mask.is_some() { 0x80 } else { 0 };
    let n = payload.len();
    if n < 126 {
        f.push(m | n as u8);
    } else if n <= 0xffff {
        f.push(m | 126);
        f.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        f.push(m | 127);
        f.extend_from_slice(&(n as u64).to_be_bytes());
    }
    match mask {
        Some(k) => {
            f.extend_from_slice(&k);
            f.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => f.extend_from_slice(payload),
    }
    f
}

/// A masked frame as a client sends it.
pub fn cframe(b0: u8, payload: &[u8]) -> Vec<u8> {
    frame(b0, payload, Some(KEY))
}

/// An unmasked frame as a server sends it.
pub fn sframe(b0: u8, payload: &[u8]) -> Vec<u8> {
    frame(b0, payload, None)
}

/// The unmasked close frame a server sends with `code`.
pub fn close_bytes(code: u16) -> Vec<u8> {
    sframe(0x88, &code.to_be_bytes())
}

/// Config for echo tests: one queued event at a time, so each message is
/// echoed before the next frame is parsed (as a real echo server would).
pub fn echo_config() -> Config {
    Config {
        max_queued_events: 1,
        ..Config::default()
    }
}

pub fn server() -> WebSocket {
    WebSocket::server(echo_config(), &Negotiated::default())
}

pub fn server_with(config: Config) -> WebSocket {
    WebSocket::server(config, &Negotiated::default())
}

pub fn client() -> WebSocket {
    WebSocket::client(echo_config(), &Negotiated::default(), 42)
}

pub fn params() -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: 15,
        client_max_window_bits: 15,
        level: 1,
        min_compress_size: 0,
    }
}

pub fn deflate_neg(p: DeflateParams) -> Negotiated {
    Negotiated {
        protocol: None,
        deflate: Some(p),
    }
}

/// Feeds all of `input` (offering the remainder again after draining events)
/// and returns every event.
pub fn feed(ws: &mut WebSocket, input: &[u8]) -> Vec<Event> {
    let mut evs = Vec::new();
    let mut rest = input;
    loop {
        let n = ws.receive(rest);
        rest = &rest[n..];
        while let Some(e) = ws.poll_event() {
            evs.push(e);
        }
        if rest.is_empty() {
            break;
        }
    }
    evs
}

/// Takes all pending output.
pub fn out(ws: &mut WebSocket) -> Vec<u8> {
    let mut v = Vec::new();
    ws.transmit_into(&mut v);
    v
}

/// An echo endpoint as in Autobahn: feeds `input`, echoes every data message,
/// returns the events and the bytes written.
pub fn echo(ws: &mut WebSocket, input: &[u8]) -> (Vec<Event>, Vec<u8>) {
    let mut evs = Vec::new();
    let mut rest = input;
    loop {
        let n = ws.receive(rest);
        rest = &rest[n..];
        while let Some(e) = ws.poll_event() {
            match &e {
                Event::Text(t) => ws.send_text(t).unwrap(),
                Event::Binary(b) => ws.send_binary(b).unwrap(),
                _ => {}
            }
            evs.push(e);
        }
        if rest.is_empty() {
            break;
        }
    }
    (evs, out(ws))
}

/// Same as [`echo`] but feeding one byte at a time.
pub fn echo_bytewise(ws: &mut WebSocket, input: &[u8]) -> (Vec<Event>, Vec<u8>) {
    let mut evs = Vec::new();
    let mut o = Vec::new();
    for b in input {
        let (e, x) = echo(ws, std::slice::from_ref(b));
        evs.extend(e);
        o.extend(x);
    }
    (evs, o)
}
pub mod net;

/// Like [`feed`] but through `receive_in_place`: borrowed messages are turned
/// into the owned events `receive` would have queued, in stream order.
/// Returns the events and how many messages came out borrowed.
pub fn feed_in_place(ws: &mut WebSocket, input: &mut [u8]) -> (Vec<Event>, usize) {
    let mut evs = Vec::new();
    let mut borrowed = 0;
    let mut rest = input;
    loop {
        let (n, msg) = ws.receive_in_place(rest);
        if let Some(m) = msg {
            borrowed += 1;
            evs.push(m.to_event());
            // Documented: a message is only handed out with the queue empty.
            assert_eq!(
                ws.poll_event(),
                None,
                "event queued behind a borrowed message"
            );
        }
        while let Some(e) = ws.poll_event() {
            evs.push(e);
        }
        rest = &mut rest[n..];
        if rest.is_empty() {
            break;
        }
    }
    (evs, borrowed)
}
