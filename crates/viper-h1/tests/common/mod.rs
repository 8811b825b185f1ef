//! Shared drivers for the integration tests.
#![allow(dead_code, unreachable_pub)]

use bytes::{Bytes, BytesMut};
use viper_h1::{Config, Connection, Event, Instant};

/// Feeds `pieces` to a server connection one after another, answering each request
/// (after its body ended) with `200` and the request target as the body, and each
/// error that has a status with that status. Returns the events (adjacent `Data`
/// merged), the bytes written, and the final connection.
pub fn drive_server(cfg: Config, pieces: &[&[u8]], eof: bool) -> (Vec<Event>, Vec<u8>, Connection) {
    let mut conn = Connection::server(cfg, Instant::ZERO);
    let mut events = Vec::new();
    let mut out = Vec::new();
    let mut target = Bytes::new();
    let mut pump = |conn: &mut Connection, events: &mut Vec<Event>, out: &mut Vec<u8>| {
        while let Some(ev) = conn.poll_event() {
            match &ev {
                Event::Request(h) => target = h.target.clone(),
                Event::End { .. } => {
                    let len = target.len().to_string();
                    conn.send_response(200, &[("content-length", len.as_str())])
                        .unwrap();
                    conn.send_data(target.clone()).unwrap();
                    conn.finish().unwrap();
                }
                Event::Error(e) => {
                    if let Some(s) = e.status {
                        conn.send_response(s, &[("content-length", "0")]).unwrap();
                        conn.finish().unwrap();
                    }
                }
                _ => {}
            }
            push_merged(events, ev);
        }
        while let Some(b) = conn.take_transmit() {
            out.extend_from_slice(&b);
        }
    };
    for piece in pieces {
        let mut rest = *piece;
        let mut stalls = 0;
        while !rest.is_empty() {
            let n = conn.receive(rest);
            rest = &rest[n..];
            pump(&mut conn, &mut events, &mut out);
            if n == 0 {
                stalls += 1;
                if stalls > 2 {
                    break;
                }
            }
        }
        pump(&mut conn, &mut events, &mut out);
    }
    if eof {
        conn.receive_eof();
        pump(&mut conn, &mut events, &mut out);
    }
    (events, out, conn)
}

/// Appends `ev`, merging it into the previous event when both are `Data`.
pub fn push_merged(events: &mut Vec<Event>, ev: Event) {
    if let (Some(Event::Data(prev)), Event::Data(d)) = (events.last_mut(), &ev) {
        let mut m = BytesMut::from(&prev[..]);
        m.extend_from_slice(d);
        *prev = m.freeze();
        return;
    }
    events.push(ev);
}

/// The first error event, if any.
pub fn first_error(events: &[Event]) -> Option<viper_h1::Error> {
    events.iter().find_map(|e| match e {
        Event::Error(e) => Some(*e),
        _ => None,
    })
}

/// The concatenated body bytes of all `Data` events.
pub fn body_of(events: &[Event]) -> Vec<u8> {
    let mut v = Vec::new();
    for e in events {
        if let Event::Data(d) = e {
            v.extend_from_slice(d);
        }
    }
    v
}

/// Drains all output of `conn` into one vector.
pub fn drain(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(b) = conn.take_transmit() {
        out.extend_from_slice(&b);
    }
    out
}
