//! The sans-IO driver adapters call: one [`Connection`] per client connection.

use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::task::{Context, Poll};

use viper_router::Method;
use viper_server::{Body, Event, Instant, StreamId};

use crate::app::App;
use crate::handler::BoxFuture;
use crate::request::RequestContext;
use crate::response::{detail, Response, StatusCode};

/// Upper bound of event/poll rounds in one `poll_app` call.
const MAX_ROUNDS: usize = 256;

enum Slot {
    /// Head received, body being collected.
    Collecting {
        req: viper_server::Request,
        body: Vec<u8>,
        too_large: bool,
    },
    /// The handler runs.
    Running {
        fut: BoxFuture,
        status: Option<StatusCode>,
    },
}

/// One client connection serving an [`App`]: HTTP/1.1, h2c and HTTP/2 prior knowledge
/// (through [`viper_server::Connection`]), with the app's handlers run as futures the
/// caller polls. No executor, no threads, no `Send`, no clock.
///
/// The adapter's loop:
///
/// 1. bytes from the socket → [`receive`](Self::receive) (it returns how many it took;
///    offer the rest again later), end of input → [`receive_eof`](Self::receive_eof);
/// 2. [`poll_app`](Self::poll_app) with a [`Context`] whose waker re-runs this loop:
///    it reads the protocol events, starts handlers for complete requests and polls
///    every handler still pending (responses of finished ones are queued for output);
/// 3. write [`poll_transmit`](Self::poll_transmit) to the socket, then
///    [`advance_transmit`](Self::advance_transmit) by what was written;
/// 4. at [`poll_timeout`](Self::poll_timeout) call [`handle_timeout`](Self::handle_timeout);
/// 5. stop when [`is_closed`](Self::is_closed) and nothing is left to transmit.
pub struct Connection<S> {
    app: Rc<App<S>>,
    inner: viper_server::Connection,
    slots: BTreeMap<StreamId, Slot>,
}

impl<S: 'static> Connection<S> {
    /// A new connection for `app`, accepted at `now`, with the protocol limits of
    /// `config`.
    pub fn new(app: Rc<App<S>>, config: viper_server::Config, now: Instant) -> Self {
        Connection {
            app,
            inner: viper_server::Connection::new(config, now),
            slots: BTreeMap::new(),
        }
    }

    /// Feeds bytes read from the socket; returns how many were taken.
    pub fn receive(&mut self, data: &[u8]) -> usize {
        self.inner.receive(data)
    }

    /// The peer closed its sending side.
    pub fn receive_eof(&mut self) {
        self.inner.receive_eof();
    }

    /// Bytes to write to the socket, if any.
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        self.inner.poll_transmit()
    }

    /// `n` bytes of [`poll_transmit`](Self::poll_transmit) were written.
    pub fn advance_transmit(&mut self, n: usize) {
        self.inner.advance_transmit(n);
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.inner.poll_timeout()
    }

    /// Runs the timers due at `now` (idle, slow request, pings).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.inner.handle_timeout(now);
    }

    /// Sets the `date` field of responses (the adapter owns the clock).
    pub fn set_date(&mut self, date: viper_server::HttpDate) {
        self.inner.set_date(date);
    }

    /// Starts a graceful shutdown (GOAWAY on HTTP/2, close after the exchange on h1).
    pub fn shutdown(&mut self) {
        self.inner.shutdown();
    }

    /// Whether the connection is over (write what is left, then close the socket).
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// How many handlers are started and not finished.
    pub fn running(&self) -> usize {
        self.slots
            .values()
            .filter(|s| matches!(s, Slot::Running { .. }))
            .count()
    }

    /// Handles the protocol events and polls the running handlers with `cx`'s waker.
    /// `Ready` when no handler is pending, `Pending` when one is (the waker is
    /// registered with it).
    pub fn poll_app(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // A finished response can release the next pipelined request: go round until
        // a pass makes no progress (bounded by the requests the connection holds).
        for _ in 0..MAX_ROUNDS {
            let mut progressed = false;
            while let Some(ev) = self.inner.poll_event() {
                self.on_event(ev);
                progressed = true;
            }
            let mut done: Vec<(StreamId, Response)> = Vec::new();
            for (id, slot) in self.slots.iter_mut() {
                if let Slot::Running { fut, status } = slot {
                    if let Poll::Ready(mut r) = fut.as_mut().poll(cx) {
                        if let Some(s) = *status {
                            if r.status == StatusCode::OK {
                                r.status = s;
                            }
                        }
                        done.push((*id, r));
                    }
                }
            }
            for (id, r) in done {
                self.slots.remove(&id);
                self.respond(id, r);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
        if self.running() == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Request(req) => {
                let id = req.id;
                self.slots.insert(
                    id,
                    Slot::Collecting {
                        req,
                        body: Vec::new(),
                        too_large: false,
                    },
                );
            }
            Event::Data { id, data } => {
                let limit = self.app.limit();
                if let Some(Slot::Collecting {
                    body, too_large, ..
                }) = self.slots.get_mut(&id)
                {
                    if body.len() + data.len() > limit {
                        *too_large = true;
                        body.clear();
                    } else if !*too_large {
                        body.extend_from_slice(&data);
                    }
                }
                self.inner.release_body(id, data.len());
            }
            Event::End { id, .. } => self.start(id),
            Event::Reset { id } => {
                self.slots.remove(&id);
            }
            Event::Closed { .. } => self.slots.clear(),
            Event::Writable { .. } | Event::WsMessage { .. } | Event::WsClosed { .. } => {}
        }
    }

    fn start(&mut self, id: StreamId) {
        let Some(Slot::Collecting {
            req,
            body,
            too_large,
        }) = self.slots.remove(&id)
        else {
            return;
        };
        if too_large {
            let r = detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large");
            return self.respond(id, r);
        }
        let Some(method) = Method::parse(req.method.as_bytes()) else {
            return self.respond(id, detail(StatusCode::NOT_IMPLEMENTED, "Not Implemented"));
        };
        let app = self.app.clone();
        let target = req.target.clone();
        let started = app.start(method, &target, move |params| RequestContext {
            method,
            path: req.path().into(),
            query: req.query().map(Into::into),
            headers: req.headers,
            params,
            body: bytes::Bytes::from(body),
        });
        match started {
            Ok((fut, status)) => {
                self.slots.insert(id, Slot::Running { fut, status });
            }
            Err(r) => self.respond(id, r),
        }
    }

    fn respond(&mut self, id: StreamId, r: Response) {
        let r = self.app.finish_response(r);
        let body = if r.body.is_empty() {
            Body::Empty
        } else {
            Body::Full(&r.body)
        };
        let headers: Vec<(&[u8], &[u8])> = r
            .headers
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect();
        if self
            .inner
            .send_response(id, r.status.0, &headers, body)
            .is_err()
        {
            let _ = self.inner.reset(id);
        }
    }
}
