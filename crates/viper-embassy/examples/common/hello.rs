//! The small application both `tap_server` (Linux, TAP) and the ESP32-C3 firmware
//! (`examples/esp32c3`) serve on a bare `viper_server::Connection`: `/hello`, `/ws` (echo
//! of text and binary), `/stats` (busy slots, accepted and refused connections, live heap
//! bytes as the binary counts them), `/ws/chat` (every message to every member, in order),
//! 404 otherwise. no_std + alloc.

use alloc::borrow::ToOwned;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::task::{Context, Waker};

use viper_embassy::{Instant, Service, Session, Stats};
use viper_server::{Body, Connection, Event, StreamId, WsMessage};

/// A chat member: its session, stream, the messages waiting for it, the slot's waker.
struct Member {
    session: u64,
    stream: StreamId,
    queue: VecDeque<WsMessage>,
    waker: Option<Waker>,
}

/// The chat room, shared by every session of the service (one executor, so `Rc`).
#[derive(Default)]
pub(crate) struct Chat {
    members: Vec<Member>,
    next_session: u64,
}

/// Messages a member may have queued before it is dropped from the chat (it is not reading).
const CHAT_BACKLOG: usize = 256;

/// One connection of the application: answers each event of a bare viper-server connection.
pub(crate) struct Hello {
    conn: Connection,
    stats: &'static Stats,
    heap: fn() -> isize,
    chat: Rc<RefCell<Chat>>,
    session: u64,
}

impl Drop for Hello {
    fn drop(&mut self) {
        let me = self.session;
        self.chat.borrow_mut().members.retain(|m| m.session != me);
    }
}

impl Hello {
    fn handle(&mut self) {
        while let Some(ev) = self.conn.poll_event() {
            match ev {
                Event::Request(req) => {
                    let id = req.id;
                    let path = req.path().to_owned();
                    if path == "/ws/chat" && req.is_websocket() {
                        if self.conn.accept_websocket(id, &[]).is_ok() {
                            self.chat.borrow_mut().members.push(Member {
                                session: self.session,
                                stream: id,
                                queue: VecDeque::new(),
                                waker: None,
                            });
                        }
                    } else if path == "/ws" && req.is_websocket() {
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
                    let mut chat = self.chat.borrow_mut();
                    let me = self.session;
                    if chat
                        .members
                        .iter()
                        .any(|m| m.session == me && m.stream == id)
                    {
                        // A member whose backlog is full is not reading: it leaves the chat.
                        chat.members.retain(|m| m.queue.len() < CHAT_BACKLOG);
                        for m in chat.members.iter_mut() {
                            m.queue.push_back(message.clone());
                            if let Some(w) = m.waker.take() {
                                w.wake();
                            }
                        }
                    } else {
                        drop(chat);
                        let _ = self.conn.ws_send(id, &message);
                    }
                }
                Event::WsClosed { id, .. } => {
                    let me = self.session;
                    self.chat
                        .borrow_mut()
                        .members
                        .retain(|m| !(m.session == me && m.stream == id));
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
    fn poll_app(&mut self, cx: &mut Context<'_>) {
        self.handle();
        // Deliver this session's chat messages while its output buffer takes them.
        let me = self.session;
        let mut chat = self.chat.borrow_mut();
        if let Some(m) = chat.members.iter_mut().find(|m| m.session == me) {
            while let Some(msg) = m.queue.front() {
                if self.conn.ws_send(m.stream, msg).is_err() {
                    break;
                }
                m.queue.pop_front();
            }
            m.waker = Some(cx.waker().clone());
        }
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
    /// The chat room of `/ws/chat`.
    pub(crate) chat: Rc<RefCell<Chat>>,
}

impl Service for HelloService {
    type Session = Hello;
    fn open(&self, _peer: Option<embassy_net::IpEndpoint>, now: Instant) -> Hello {
        let session = {
            let mut chat = self.chat.borrow_mut();
            chat.next_session += 1;
            chat.next_session
        };
        Hello {
            conn: Connection::new(self.config.clone(), now),
            stats: self.stats,
            heap: self.heap,
            chat: self.chat.clone(),
            session,
        }
    }
}
