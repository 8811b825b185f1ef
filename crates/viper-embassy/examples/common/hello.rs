//! The small application both `tap_server` (Linux, TAP) and the ESP32-C3 firmware
//! (`examples/esp32c3`) serve on a bare `viper_server::Connection`: `/hello`, `/ws` (echo
//! of text and binary), `/stats` (busy slots, accepted and refused connections, live heap
//! bytes as the binary counts them), 404 otherwise. no_std + alloc.

use alloc::borrow::ToOwned;
use alloc::format;
use core::task::Context;

use viper_embassy::{Instant, Service, Session, Stats};
use viper_server::{Body, Connection, Event};

/// One connection of the application: answers each event of a bare viper-server connection.
pub(crate) struct Hello {
    conn: Connection,
    stats: &'static Stats,
    heap: fn() -> isize,
}

impl Hello {
    fn handle(&mut self) {
        while let Some(ev) = self.conn.poll_event() {
            match ev {
                Event::Request(req) => {
                    let id = req.id;
                    let path = req.path().to_owned();
                    if path == "/ws" && req.is_websocket() {
                        let _ = self.conn.accept_websocket(id, &[]);
                    } else if path == "/hello" {
                        let _ = self.conn.send_response(
                            id,
                            200,
                            &[("content-type", "text/plain")],
                            Body::Full(b"Hello, world!"),
                        );
                    } else if path == "/stats" {
                        let body = format!(
                            "{{\"busy\":{},\"accepted\":{},\"refused\":{},\"heap\":{}}}",
                            self.stats.busy(),
                            self.stats.accepted(),
                            self.stats.refused(),
                            (self.heap)()
                        );
                        let _ = self.conn.send_response(
                            id,
                            200,
                            &[("content-type", "application/json")],
                            Body::Full(body.as_bytes()),
                        );
                    } else {
                        let _ = self.conn.send_response(
                            id,
                            404,
                            &[("content-type", "application/json")],
                            Body::Full(br#"{"detail":"Not Found"}"#),
                        );
                    }
                }
                Event::WsMessage { id, message } => {
                    let _ = self.conn.ws_send(id, &message);
                }
                _ => {}
            }
        }
    }
}

impl Session for Hello {
    fn receive(&mut self, data: &[u8]) -> usize {
        let n = self.conn.receive(data);
        self.handle();
        n
    }
    fn receive_eof(&mut self) {
        self.conn.receive_eof();
        self.handle();
    }
    fn poll_transmit(&mut self) -> Option<&[u8]> {
        self.conn.poll_transmit()
    }
    fn advance_transmit(&mut self, n: usize) {
        self.conn.advance_transmit(n)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.conn.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.conn.handle_timeout(now);
        self.handle();
    }
    fn poll_app(&mut self, _cx: &mut Context<'_>) {
        self.handle();
    }
    fn is_closed(&self) -> bool {
        self.conn.is_closed() && self.conn.pending_output() == 0
    }
}

/// Makes a [`Hello`] session per accepted connection.
pub(crate) struct HelloService {
    /// The server's counters, shown by `/stats`.
    pub(crate) stats: &'static Stats,
    /// Live heap bytes, shown by `/stats`.
    pub(crate) heap: fn() -> isize,
    /// The connection settings.
    pub(crate) config: viper_server::Config,
}

impl Service for HelloService {
    type Session = Hello;
    fn open(&self, _peer: Option<embassy_net::IpEndpoint>, now: Instant) -> Hello {
        Hello {
            conn: Connection::new(self.config.clone(), now),
            stats: self.stats,
            heap: self.heap,
        }
    }
}
