#![no_main]
//! A viper-server connection driven by the input: a config choice, an optional start
//! (HTTP/2 preface, WebSocket handshake, h2c upgrade), then operations — bytes in
//! pieces of input-chosen sizes, time jumps, partial writes, EOF, shutdown — while an
//! application answers every request in an input-chosen way (full, streaming, SSE,
//! WebSocket, reset, body consumed / released / discarded). No panic, `Closed` at most
//! once, events consistent with the requests, output and state bounded.
use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use viper_server::{
    Body, Config, Connection, Duration, Event, Instant, SseEvent, StreamId, WsMessage,
};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";
const WS: &[u8] = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const H2C: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n\
Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n";

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

struct App {
    policy: u8,
    manual: bool,
    /// Every request id reported so far.
    seen: BTreeSet<StreamId>,
    open: BTreeSet<StreamId>,
    streaming: BTreeSet<StreamId>,
    closed: usize,
}

impl App {
    fn answer(&mut self, c: &mut Connection, id: StreamId, ws: bool) {
        self.policy = self.policy.rotate_left(3) ^ (id as u8);
        match self.policy % 6 {
            _ if ws => {
                let _ = c.accept_websocket(id, &["chat"]);
            }
            0 => {
                let _ = c.send_response(
                    id,
                    200,
                    &[("content-type", "text/plain")],
                    Body::Full(b"ok"),
                );
            }
            1 => {
                let _ = c.send_response(id, 204, &[] as &[(&str, &str)], Body::Empty);
            }
            2 => {
                if c.send_response(id, 200, &[("x-a", "b")], Body::Streaming)
                    .is_ok()
                {
                    let _ = c.send_data(id, &[b'z'; 3000]);
                    self.streaming.insert(id);
                }
            }
            3 => {
                if c.start_sse(id, &[] as &[(&str, &str)]).is_ok() {
                    let ev = SseEvent {
                        event: Some("e"),
                        data: Some("d\nd"),
                        id: Some("1"),
                        retry: None,
                    };
                    let _ = c.send_sse(id, &ev);
                }
            }
            4 => {
                let _ = c.reset(id);
            }
            // 5: answered later (or never): the body stays unread.
            _ => {}
        }
    }

    fn drain(&mut self, c: &mut Connection) {
        let mut n = 0;
        while let Some(ev) = c.poll_event() {
            n += 1;
            assert!(n < 1_000_000, "unbounded events");
            match ev {
                Event::Request(r) => {
                    self.seen.insert(r.id);
                    self.open.insert(r.id);
                    let _ = c.has_body(r.id);
                    let ws = r.is_websocket();
                    self.answer(c, r.id, ws);
                }
                Event::Data { id, data } => {
                    assert!(!data.is_empty());
                    assert!(self.seen.contains(&id), "body of an unknown request");
                    match (self.policy >> 5) & 3 {
                        0 if self.manual => {}
                        1 => c.discard_body(id),
                        _ => c.release_body(id, data.len()),
                    }
                }
                Event::End { id, .. } => {
                    if self.streaming.remove(&id) {
                        let _ = c.finish(id, &[("x-t", "1")]);
                    } else if self.policy & 0x10 != 0 {
                        let _ =
                            c.send_response(id, 200, &[] as &[(&str, &str)], Body::Full(b"late"));
                    }
                }
                Event::Reset { id } => {
                    self.open.remove(&id);
                    self.streaming.remove(&id);
                }
                Event::Writable { id } => {
                    let _ = c.send_data(id, &[b'w'; 500]);
                }
                Event::WsMessage { id, message } => {
                    let _ = c.ws_send(id, &message);
                    if let WsMessage::Text(t) = &message {
                        if t.len() == 1 {
                            let _ = c.ws_close(id, 1000, "bye");
                        }
                    }
                }
                Event::WsClosed { .. } => {}
                Event::Closed { .. } => {
                    self.closed += 1;
                    assert_eq!(self.closed, 1, "Closed reported twice");
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let Some(flags) = inp.byte() else {
        return;
    };
    let mut config = Config::default();
    let manual = flags & 1 != 0;
    config.h2.auto_release = !manual;
    if flags & 2 != 0 {
        config.max_output_buffer = 4096;
        config.h2.initial_window_size = 1024;
        config.h2.connection_window_size = 4096;
        config.h2.max_concurrent_streams = 4;
    }
    let max_out = config.max_output_buffer;
    let mut c = Connection::new(config, Instant::ZERO);
    let mut app = App {
        policy: flags,
        manual,
        seen: BTreeSet::new(),
        open: BTreeSet::new(),
        streaming: BTreeSet::new(),
        closed: 0,
    };
    let mut pending: Vec<u8> = match (flags >> 2) & 3 {
        1 => PREFACE.to_vec(),
        2 => WS.to_vec(),
        3 => H2C.to_vec(),
        _ => Vec::new(),
    };
    pending.reserve(inp.0.len());
    let mut now = Instant::ZERO;
    let mut write_limit = usize::MAX;
    let mut ops = 0;
    while let Some(op) = inp.byte() {
        ops += 1;
        if ops > 4096 {
            break;
        }
        match op >> 5 {
            0..=3 => {
                let n = usize::from(op & 0x7f) * 13 + 1;
                pending.extend_from_slice(inp.take(n));
            }
            4 => {
                now = now + Duration::from_millis(u64::from(op & 0x1f) * 700);
                c.handle_timeout(now);
            }
            5 => write_limit = usize::from(op & 0x1f) * 997,
            6 => match op & 3 {
                0 => c.receive_eof(),
                1 => c.shutdown(),
                _ => write_limit = usize::MAX,
            },
            _ => {
                if let Some(t) = c.poll_timeout() {
                    if t > now {
                        now = t;
                    }
                    c.handle_timeout(now);
                }
            }
        }
        // Offer the held bytes until the connection stops taking them.
        for _ in 0..64 {
            let used = c.receive(&pending);
            assert!(used <= pending.len());
            pending.drain(..used);
            app.drain(&mut c);
            if used == 0 {
                break;
            }
        }
        // The output stays bounded even while nothing is written.
        assert!(
            c.pending_output() <= max_out + (2 << 20),
            "output {}",
            c.pending_output()
        );
        let mut budget = write_limit;
        while budget > 0 {
            let Some(b) = c.poll_transmit() else {
                break;
            };
            let n = b.len().min(budget);
            budget -= n;
            c.advance_transmit(n);
            app.drain(&mut c);
        }
        if c.is_closed() {
            assert_eq!(app.closed, 1);
        }
    }
    // Let the connection finish: all timers, all output.
    for _ in 0..32 {
        match c.poll_timeout() {
            Some(t) => {
                now = if t > now {
                    t
                } else {
                    now + Duration::from_millis(1)
                };
                c.handle_timeout(now);
            }
            None => break,
        }
        app.drain(&mut c);
        while let Some(b) = c.poll_transmit() {
            let n = b.len();
            c.advance_transmit(n);
            app.drain(&mut c);
        }
    }
    assert!(app.closed <= 1);
});
