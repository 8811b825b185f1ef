//! The server connection: protocol sniffing, h1/h2/WebSocket/SSE, limits, timers.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use base64::Engine as _;
use bytes::Bytes;
use viper_core::{HttpDate, Instant};
use viper_h1::{ErrorKind as H1Kind, Head, Method as H1Method, RequestHead as H1Head};
use viper_h2::{ErrorCode, H2cUpgrade};
use viper_ws::handshake::{self, ServerConfig};
use viper_ws::{CloseCode, WebSocket};

mod h1;
mod h2;
mod sse;
mod ws;

use self::h1::*;
use self::h2::*;
use self::sse::*;
use self::ws::*;
use crate::config::Config;
use crate::headers::Headers;
use viper_sse::Event as SseEvent;

/// The comment sent as an SSE heartbeat (ignored by clients, keeps proxies open).
pub const SSE_HEARTBEAT: &[u8] = b":\n\n";
use crate::stats::Stats;

/// Identifies a request (an HTTP/2 stream id, or a per-connection counter on HTTP/1.1).
pub type StreamId = u32;

/// The bytes that begin every HTTP/2 prior-knowledge connection (`PRI` is a method
/// reserved for it, RFC 9113 §3.4): input starting with them is handed to HTTP/2, so a
/// damaged or incomplete preface is answered with GOAWAY PROTOCOL_ERROR, not a 400.
pub const H2_SNIFF: &[u8] = b"PRI ";

const H2_PREFACE_LEN: usize = 24;

/// HTTP version of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0.
    Http10,
    /// HTTP/1.1.
    Http11,
    /// HTTP/2 (prior knowledge or `Upgrade: h2c`).
    Http2,
}

/// A protocol switch the request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upgrade {
    /// `Upgrade: websocket`: answer with [`Connection::accept_websocket`] or any
    /// ordinary response (which then closes the connection).
    WebSocket,
    /// Another upgrade (or CONNECT): an ordinary response closes the connection after it.
    Other,
}

/// A request head, the same for HTTP/1.1 and HTTP/2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Which request this is; every later event and command names it.
    pub id: StreamId,
    /// Protocol version.
    pub version: Version,
    /// The method token (`GET`, `POST`, …).
    pub method: String,
    /// The request-target (`/path?query`), as sent.
    pub target: String,
    /// `Host` (HTTP/1.1) or `:authority` (HTTP/2).
    pub authority: Option<String>,
    /// The header fields (names lowercase).
    pub headers: Headers,
    /// A protocol switch the client asked for.
    pub upgrade: Option<Upgrade>,
}

impl Request {
    /// The method as the shared [`viper_core::Method`]; `None` for a token outside the
    /// standard set (answer it with 501).
    pub fn standard_method(&self) -> Option<viper_core::Method> {
        viper_core::Method::parse(self.method.as_bytes())
    }

    /// The path part of the target.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The query part of the target (after `?`), if any.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name)
    }

    /// `Last-Event-ID` of a reconnecting SSE client.
    pub fn last_event_id(&self) -> Option<&str> {
        viper_sse::last_event_id(self.headers.iter())
    }

    /// Whether this is a WebSocket opening handshake.
    pub fn is_websocket(&self) -> bool {
        self.upgrade == Some(Upgrade::WebSocket)
    }
}

/// A complete WebSocket message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsMessage {
    /// Text (valid UTF-8).
    Text(String),
    /// Binary.
    Binary(Vec<u8>),
}

/// Why a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// A timer fired (idle keep-alive, slow head or body, pong, SETTINGS ACK).
    Timeout,
    /// The peer closed (EOF, GOAWAY, WebSocket close).
    Peer,
    /// The peer broke the protocol.
    ProtocolError,
    /// A limit was hit (head/body/URI too large, flood protection).
    Limit,
    /// We closed it (shutdown, `Connection: close`, request limit).
    Local,
}

/// What the connection reports to the application. Match it exhaustively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A request head. Its body follows as [`Event::Data`], ending with [`Event::End`].
    Request(Request),
    /// A piece of request body (never empty).
    Data {
        /// The request.
        id: StreamId,
        /// The bytes.
        data: Bytes,
    },
    /// The request body is complete.
    End {
        /// The request.
        id: StreamId,
        /// Trailer fields (usually empty).
        trailers: Headers,
    },
    /// The request was cancelled (HTTP/2 RST_STREAM, or a broken HTTP/1.1 body): stop
    /// answering it.
    Reset {
        /// The request.
        id: StreamId,
    },
    /// A streaming response that was pushed back (`send_data` took fewer bytes) may
    /// send again.
    Writable {
        /// The request.
        id: StreamId,
    },
    /// A WebSocket message arrived (pings, pongs and fragments are handled by the core).
    WsMessage {
        /// The WebSocket session (the id of the request that opened it).
        id: StreamId,
        /// The message.
        message: WsMessage,
    },
    /// The WebSocket session ended with this close code (1006: no close frame).
    WsClosed {
        /// The session.
        id: StreamId,
        /// The close code.
        code: u16,
    },
    /// The connection is over: write what `poll_transmit` still has, then close the
    /// socket. Reported once.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// The response body given with [`Connection::send_response`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body<'a> {
    /// No body (`content-length: 0` where a body is allowed); the response is complete.
    Empty,
    /// The whole body (`content-length` is added); the response is complete.
    Full(&'a [u8]),
    /// The body follows through [`Connection::send_data`] (chunked on HTTP/1.1, DATA
    /// on HTTP/2) and ends with [`Connection::finish`].
    Streaming,
}

/// Why a command was refused (the application's mistake or backpressure).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// No such request, or it is finished or reset.
    UnknownStream,
    /// The command does not fit the request's state (second response, data before
    /// the head, WebSocket command on a plain request…).
    WrongState,
    /// A header name or value is not valid for the protocol.
    InvalidHeader,
    /// The output buffer is full; wait for [`Event::Writable`] / a transmit.
    WouldBlock,
    /// `accept_websocket` on a request that is not a valid WebSocket handshake; the
    /// given status (400 or 426) has been sent.
    HandshakeRejected(u16),
    /// The connection is closed.
    Closed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[derive(Debug)]
enum Proto {
    Sniff(Vec<u8>),
    H1(Box<H1State>),
    H2(Box<H2State>),
    Ws(Box<WsState>),
    Finished,
}

/// One server connection with no I/O of its own: it recognises HTTP/2 (preface) or
/// HTTP/1.1 from the first bytes, switches on `Upgrade: h2c` and
/// `Upgrade: websocket`, and hands the application one request/response model.
///
/// Drive it like every Viper protocol type: [`receive`](Self::receive) bytes,
/// [`poll_event`](Self::poll_event) until `None`, answer with the commands, write
/// [`poll_transmit`](Self::poll_transmit) (then [`advance_transmit`](Self::advance_transmit)),
/// and run [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout).
#[derive(Debug)]
pub struct Connection {
    config: Config,
    proto: Proto,
    out: Vec<u8>,
    out_pos: usize,
    events: VecDeque<Event>,
    now: Instant,
    started: Instant,
    stats: Stats,
    close_reason: Option<CloseReason>,
    closed_reported: bool,
    shutting_down: bool,
    peer_eof: bool,
    /// The `date` value the adapter last injected ([`Connection::set_date`]).
    date: Option<HttpDate>,
}

/// The `date` field to add to a response: RFC 9110 §6.6.1 asks an origin server with a
/// clock for one on every 2xx–5xx answer; the application's own `date` wins.
fn date_field<'a, N: AsRef<[u8]>, V: AsRef<[u8]>>(
    date: &'a Option<HttpDate>,
    status: u16,
    headers: &[(N, V)],
) -> Option<(&'static [u8], &'a [u8])> {
    let d = date.as_ref()?;
    if status < 200
        || headers
            .iter()
            .any(|(n, _)| n.as_ref().eq_ignore_ascii_case(b"date"))
    {
        return None;
    }
    Some((b"date", d.as_str().as_bytes()))
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write_usize(v: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    &buf[i..]
}

impl Connection {
    /// A new connection accepted at `now`.
    pub fn new(config: Config, now: Instant) -> Self {
        Connection {
            config,
            proto: Proto::Sniff(Vec::new()),
            out: Vec::new(),
            out_pos: 0,
            events: VecDeque::new(),
            now,
            started: now,
            stats: Stats::default(),
            close_reason: None,
            closed_reported: false,
            shutting_down: false,
            peer_eof: false,
            date: None,
        }
    }

    /// Sets the `date` every response from now on carries (RFC 9110 §6.6.1). The
    /// adapter owns the clock: it calls this when the connection opens and then once
    /// per second (a [`viper_core::DateCache`] formats each second once). Until it is
    /// called, responses have no `date`. A `date` the application sets itself is kept.
    pub fn set_date(&mut self, date: HttpDate) {
        self.date = Some(date);
    }

    /// The `date` last given to [`set_date`](Self::set_date).
    pub fn date(&self) -> Option<HttpDate> {
        self.date
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The counters since the last call (then reset to zero): add them to a total
    /// with [`Stats::add`].
    pub fn take_stats(&mut self) -> Stats {
        core::mem::take(&mut self.stats)
    }

    /// The protocol in use: `None` until the first bytes decided it.
    pub fn version(&self) -> Option<Version> {
        match &self.proto {
            Proto::H1(_) | Proto::Ws(_) => Some(Version::Http11),
            Proto::H2(_) => Some(Version::Http2),
            Proto::Sniff(_) | Proto::Finished => None,
        }
    }

    /// Whether [`Event::Closed`] was reported: once `poll_transmit` is empty, close
    /// the socket.
    pub fn is_closed(&self) -> bool {
        self.closed_reported
    }

    /// Whether no request is in progress (an idle keep-alive connection). A WebSocket
    /// session or an SSE stream is never idle.
    pub fn is_idle(&self) -> bool {
        match &self.proto {
            Proto::Sniff(b) => b.is_empty(),
            Proto::H1(s) => s.cur.is_none() && s.upgrade.is_none(),
            Proto::H2(s) => s.streams.is_empty(),
            Proto::Ws(_) => false,
            Proto::Finished => true,
        }
    }

    /// Bytes waiting for the socket in the connection's own buffer.
    pub fn pending_output(&self) -> usize {
        self.out.len().saturating_sub(self.out_pos)
    }

    fn room(&self) -> usize {
        self.config
            .max_output_buffer
            .saturating_sub(self.pending_output())
    }

    fn report_closed(&mut self, reason: CloseReason) {
        if self.closed_reported {
            return;
        }
        self.closed_reported = true;
        self.stats.connections_closed += 1;
        let c = match reason {
            CloseReason::Timeout => &mut self.stats.closed_timeout,
            CloseReason::Peer => &mut self.stats.closed_peer,
            CloseReason::ProtocolError => &mut self.stats.closed_protocol_error,
            CloseReason::Limit => &mut self.stats.closed_limit,
            CloseReason::Local => &mut self.stats.closed_local,
        };
        *c += 1;
        self.events.push_back(Event::Closed { reason });
    }

    // ------------------------------------------------------------------ input

    /// Feeds bytes read from the socket; returns how many were taken. Fewer than
    /// offered means backpressure (a request waits for its answer, a protocol switch
    /// waits for the application, or queued events/output must be drained first):
    /// keep the rest, drain [`poll_event`](Self::poll_event) and
    /// [`poll_transmit`](Self::poll_transmit), and offer it again.
    pub fn receive(&mut self, data: &[u8]) -> usize {
        let mut used = 0;
        loop {
            let rest = data.get(used..).unwrap_or(&[]);
            match &mut self.proto {
                Proto::Sniff(buf) => {
                    if rest.is_empty() {
                        break;
                    }
                    let take = H2_SNIFF.len().saturating_sub(buf.len()).min(rest.len());
                    buf.extend_from_slice(&rest[..take]);
                    used += take;
                    let n = buf.len();
                    if self.config.h2_only {
                        let b = core::mem::take(buf);
                        self.switch_to_h2(&b);
                    } else if buf[..] == H2_SNIFF[..n] {
                        if n < H2_SNIFF.len() {
                            break;
                        }
                        let b = core::mem::take(buf);
                        self.switch_to_h2(&b);
                    } else {
                        let b = core::mem::take(buf);
                        self.switch_to_h1(&b);
                    }
                }
                Proto::H1(s) => {
                    used += s.conn.receive(rest);
                    break;
                }
                Proto::H2(s) => {
                    if !s.pending_in.is_empty() {
                        let n = s.conn.receive(&s.pending_in);
                        s.fed = s.fed.saturating_add(n);
                        s.pending_in.drain(..n.min(s.pending_in.len()));
                        if !s.pending_in.is_empty() {
                            break;
                        }
                    }
                    let n = s.conn.receive(rest);
                    s.fed = s.fed.saturating_add(n);
                    used += n;
                    break;
                }
                Proto::Ws(s) => {
                    used += s.ws.receive(rest);
                    break;
                }
                Proto::Finished => {
                    used = data.len();
                    break;
                }
            }
        }
        self.stats.bytes_in = self.stats.bytes_in.saturating_add(used as u64);
        used
    }

    /// The peer closed its sending side (a read returned 0).
    pub fn receive_eof(&mut self) {
        self.peer_eof = true;
        match &mut self.proto {
            Proto::Sniff(buf) => {
                if buf.is_empty() {
                    self.proto = Proto::Finished;
                    self.report_closed(CloseReason::Peer);
                } else if self.config.h2_only || buf[..] == H2_SNIFF[..buf.len()] {
                    // An incomplete preface is HTTP/2's to answer.
                    let b = core::mem::take(buf);
                    self.switch_to_h2(&b);
                    if let Proto::H2(s) = &mut self.proto {
                        s.conn
                            .goaway(ErrorCode::PROTOCOL_ERROR, "incomplete connection preface");
                    }
                } else {
                    let b = core::mem::take(buf);
                    self.switch_to_h1(&b);
                    if let Proto::H1(s) = &mut self.proto {
                        s.conn.receive_eof();
                    }
                }
            }
            Proto::H1(s) => s.conn.receive_eof(),
            Proto::H2(s) => {
                if !s.conn.is_closed() {
                    // Nothing more can arrive: an incomplete preface is a protocol
                    // error, otherwise streams in progress cannot complete.
                    if s.fed < H2_PREFACE_LEN {
                        s.conn
                            .goaway(ErrorCode::PROTOCOL_ERROR, "incomplete connection preface");
                    } else {
                        self.close_reason.get_or_insert(CloseReason::Peer);
                        s.conn.goaway(ErrorCode::NO_ERROR, "peer closed");
                    }
                }
            }
            Proto::Ws(s) => {
                if s.ws.state() != viper_ws::State::Closed {
                    let id = s.id;
                    self.events.push_back(Event::WsClosed { id, code: 1006 });
                    self.proto = Proto::Finished;
                    self.report_closed(CloseReason::Peer);
                }
            }
            Proto::Finished => {}
        }
    }

    // ------------------------------------------------------------------ events

    /// The next event, if any. Call it until `None` after every `receive`,
    /// `receive_eof`, `handle_timeout` and command.
    pub fn poll_event(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.events.pop_front() {
                return Some(e);
            }
            let progressed = match &self.proto {
                Proto::H1(_) => self.poll_h1(),
                Proto::H2(_) => self.poll_h2(),
                Proto::Ws(_) => self.poll_ws(),
                Proto::Sniff(_) | Proto::Finished => false,
            };
            if !progressed && self.events.is_empty() {
                return None;
            }
        }
    }

    // ------------------------------------------------------------------ commands

    /// Answers request `id` with `status` and `headers` (any case; on HTTP/2 names are
    /// lowercased and connection-specific fields dropped). With [`Body::Streaming`]
    /// the body follows through [`send_data`](Self::send_data) and
    /// [`finish`](Self::finish).
    pub fn send_response<N, V>(
        &mut self,
        id: StreamId,
        status: u16,
        headers: &[(N, V)],
        body: Body<'_>,
    ) -> Result<(), Error>
    where
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let mut num = [0u8; 20];
        let no_body_status = status == 204 || status == 304 || status < 200;
        let len: Option<&[u8]> = match body {
            Body::Empty if !no_body_status => Some(write_usize(0, &mut num)),
            Body::Full(b) if !no_body_status => Some(write_usize(b.len(), &mut num)),
            _ => None,
        };
        match &mut self.proto {
            Proto::H1(_) => self.h1_send_response(id, status, headers, body, len),
            Proto::H2(_) => self.h2_send_response(id, status, headers, body, len),
            Proto::Finished => Err(Error::Closed),
            _ => Err(Error::UnknownStream),
        }
    }

    /// Sends body bytes of a streaming response. Returns how many were taken: fewer
    /// than offered (possibly 0) when the output buffer is full; an
    /// [`Event::Writable`] follows when there is room again.
    pub fn send_data(&mut self, id: StreamId, data: &[u8]) -> Result<usize, Error> {
        let room = self.room();
        match &mut self.proto {
            Proto::H1(_) => self.h1_send_data(id, data, room),
            Proto::H2(_) => self.h2_send_data(id, data),
            Proto::Finished => Err(Error::Closed),
            _ => Err(Error::UnknownStream),
        }
    }

    /// Ends a streaming response, with `trailers` if not empty (chunked trailer
    /// section on HTTP/1.1, a trailing HEADERS frame on HTTP/2).
    pub fn finish<N, V>(&mut self, id: StreamId, trailers: &[(N, V)]) -> Result<(), Error>
    where
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        match &mut self.proto {
            Proto::H1(_) => self.h1_finish(id, trailers),
            Proto::H2(_) => self.h2_finish(id, trailers),
            Proto::Finished => Err(Error::Closed),
            _ => Err(Error::UnknownStream),
        }
    }

    /// Whether request `id` may still deliver body bytes ([`Event::Data`]): `false`
    /// once its body is complete, and from the start for an HTTP/2 request whose
    /// HEADERS ended the stream (no body at all), so an application can skip setting
    /// up a body reader. On HTTP/1.1 `true` until [`Event::End`] has been polled.
    pub fn has_body(&self, id: StreamId) -> bool {
        match &self.proto {
            Proto::H1(s) => s.cur.as_ref().is_some_and(|c| c.id == id && !c.recv_done),
            Proto::H2(s) => s
                .streams
                .get(&id)
                .is_some_and(|st| !st.no_body && !st.recv_ended),
            _ => false,
        }
    }

    /// Manual flow control (`config.h2.auto_release == false`): the application has
    /// consumed `n` more bytes of request `id`'s body, so HTTP/2 may let the peer send
    /// that much more on this stream (WINDOW_UPDATE once half a stream window is
    /// pending). Until then the stream's receive window stays spent: a handler that
    /// reads slowly holds back its own stream only, never the others. The connection
    /// window does not wait for this: viper-h2 credits it as the bytes are handed to
    /// this connection, so any number of unread bodies leave the other streams
    /// flowing, and what the application holds unread is bounded by
    /// `h2.max_concurrent_streams × h2.initial_window_size`.
    ///
    /// Releasing more than was delivered is clamped. Does nothing in automatic mode
    /// (bytes are credited back as their [`Event::Data`] is polled), on HTTP/1.1
    /// (there the backpressure is to stop calling [`receive`](Self::receive)), and
    /// for a request that is gone (a reset or closed stream's bytes were credited back
    /// when it ended).
    pub fn release_body(&mut self, id: StreamId, n: usize) {
        if self.config.h2.auto_release || n == 0 {
            return;
        }
        let Proto::H2(s) = &mut self.proto else {
            return;
        };
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        match s.streams.get_mut(&id) {
            Some(st) => {
                let n = n.min(st.unreleased);
                st.unreleased -= n;
                if n > 0 {
                    let _ = s.conn.release_capacity(id, n);
                }
            }
            // Answered and ended here, possibly still open in HTTP/2 until its output
            // is written: viper-h2 refuses what it no longer holds.
            None => {
                let _ = s.conn.release_capacity(id, n);
            }
        }
    }

    /// The application will not read the rest of request `id`'s body (it answered
    /// without it, or gave up). On HTTP/2 in manual flow-control mode, everything
    /// delivered and not released is credited back to the stream now, and so is
    /// whatever still arrives, so the peer can finish sending an abandoned body; in
    /// either mode the remaining [`Event::Data`] of that request are no longer
    /// reported ([`Event::End`] still is). Does nothing on HTTP/1.1.
    pub fn discard_body(&mut self, id: StreamId) {
        let Proto::H2(s) = &mut self.proto else {
            return;
        };
        let Some(st) = s.streams.get_mut(&id) else {
            return;
        };
        st.discard = true;
        let n = core::mem::take(&mut st.unreleased);
        if n > 0 {
            let _ = s.conn.release_capacity(id, n);
        }
        self.events
            .retain(|e| !matches!(e, Event::Data { id: i, .. } if *i == id));
    }

    /// Cancels request `id` (HTTP/2: RST_STREAM CANCEL; HTTP/1.1: the connection
    /// closes, as a half-sent message cannot be recovered).
    pub fn reset(&mut self, id: StreamId) -> Result<(), Error> {
        match &mut self.proto {
            Proto::H1(s) => {
                s.cur
                    .as_ref()
                    .filter(|c| c.id == id)
                    .ok_or(Error::UnknownStream)?;
                s.cur = None;
                s.conn.close();
                self.close_reason.get_or_insert(CloseReason::Local);
                Ok(())
            }
            Proto::H2(s) => {
                s.streams.remove(&id).ok_or(Error::UnknownStream)?;
                let _ = s.conn.reset(id, ErrorCode::CANCEL);
                Ok(())
            }
            _ => Err(Error::UnknownStream),
        }
    }

    /// Graceful shutdown: an idle HTTP/1.1 connection closes at once, a busy one after
    /// the response in progress (which carries `connection: close` if not yet sent);
    /// HTTP/2 sends GOAWAY and lets open streams finish; SSE streams are ended;
    /// WebSocket sessions get close 1001. [`Event::Closed`] follows when done.
    pub fn shutdown(&mut self) {
        if self.shutting_down {
            return;
        }
        self.shutting_down = true;
        self.close_reason.get_or_insert(CloseReason::Local);
        match &mut self.proto {
            Proto::Sniff(_) => {
                self.proto = Proto::Finished;
                self.report_closed(CloseReason::Local);
            }
            Proto::H1(s) => {
                let sse = s
                    .cur
                    .as_ref()
                    .filter(|c| c.sse_next.is_some() || (c.streaming && !c.finished))
                    .map(|c| c.id);
                let sse = sse.filter(|_| s.cur.as_ref().is_some_and(|c| c.sse_next.is_some()));
                if let Some(id) = sse {
                    let _ = self.finish::<&[u8], &[u8]>(id, &[]);
                }
                self.h1_after_exchange();
            }
            Proto::H2(s) => {
                s.conn.graceful_shutdown();
                let ids: Vec<StreamId> = s
                    .streams
                    .iter()
                    .filter(|(_, st)| st.sse_next.is_some())
                    .map(|(id, _)| *id)
                    .collect();
                for id in ids {
                    let _ = self.finish::<&[u8], &[u8]>(id, &[]);
                }
            }
            Proto::Ws(s) => {
                let _ = s.ws.send_close(CloseCode::GOING_AWAY, "server shutdown");
                self.pump();
            }
            Proto::Finished => {}
        }
    }

    /// The graceful close, under the name every Viper protocol type uses: the same as
    /// [`shutdown`](Self::shutdown) (kept for callers until the adapters move).
    pub fn close(&mut self) {
        self.shutdown()
    }

    /// Abandons the connection at once (no more output is produced);
    /// [`Event::Closed`] follows.
    pub fn abort(&mut self) {
        self.proto = Proto::Finished;
        self.close_reason.get_or_insert(CloseReason::Local);
        let r = self.close_reason.unwrap_or(CloseReason::Local);
        self.report_closed(r);
    }

    // ------------------------------------------------------------------ output

    fn pump(&mut self) {
        let max = self.config.max_output_buffer;
        match &mut self.proto {
            Proto::H1(s) => {
                while let Some(b) = s.conn.take_transmit() {
                    self.out.extend_from_slice(&b);
                }
            }
            Proto::H2(s) => {
                Self::h2_ws_flush_all(s);
                while self.out.len().saturating_sub(self.out_pos) < max {
                    let n = match s.conn.poll_transmit() {
                        Some(b) => {
                            self.out.extend_from_slice(b);
                            b.len()
                        }
                        None => break,
                    };
                    s.conn.advance_transmit(n);
                }
            }
            Proto::Ws(s) => {
                if s.ws.poll_transmit().is_some() {
                    s.ws.transmit_into(&mut self.out);
                }
            }
            Proto::Sniff(_) | Proto::Finished => {}
        }
    }

    /// The bytes to write to the socket next, if any. After writing some, call
    /// [`advance_transmit`](Self::advance_transmit) with the count.
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        self.pump();
        let p = self.out.get(self.out_pos..).unwrap_or(&[]);
        if p.is_empty() {
            None
        } else {
            Some(p)
        }
    }

    /// Marks `n` bytes from [`poll_transmit`](Self::poll_transmit) as written.
    pub fn advance_transmit(&mut self, n: usize) {
        let n = n.min(self.pending_output());
        self.out_pos += n;
        self.stats.bytes_out = self.stats.bytes_out.saturating_add(n as u64);
        if self.out_pos >= self.out.len() {
            self.out.clear();
            self.out_pos = 0;
            if self.out.capacity() > 64 * 1024 {
                self.out.shrink_to(16 * 1024);
            }
        } else if self.out_pos > 64 * 1024 {
            self.out.drain(..self.out_pos);
            self.out_pos = 0;
        }
        if self.pending_output() <= self.config.max_output_buffer / 2 {
            if let Proto::H1(s) = &mut self.proto {
                if let Some(c) = s.cur.as_mut().filter(|c| c.want_writable) {
                    c.want_writable = false;
                    self.events.push_back(Event::Writable { id: c.id });
                }
            }
        }
    }

    // ------------------------------------------------------------------ time

    /// When [`handle_timeout`](Self::handle_timeout) next needs to run, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.proto {
            Proto::H1(s) => {
                let sse = s.cur.as_ref().and_then(|c| c.sse_next);
                Instant::earliest(s.conn.poll_timeout(), sse)
            }
            Proto::H2(s) => {
                let idle = match (s.idle_since, self.config.h2_idle_timeout) {
                    (Some(t), Some(d)) if !self.shutting_down => Some(t + d),
                    _ => None,
                };
                let mut t = Instant::earliest(s.conn.poll_timeout(), idle);
                for st in s.streams.values() {
                    t = Instant::earliest(t, st.sse_next);
                }
                t
            }
            Proto::Ws(s) => s.ws.poll_timeout(),
            Proto::Sniff(_) => self.sniff_deadline(),
            Proto::Finished => None,
        }
    }

    /// Tells the connection the time and fires expired timers (errors and heartbeats
    /// come out of `poll_event` / `poll_transmit`). Call it before `receive` whenever
    /// you wake up.
    pub fn handle_timeout(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
        let now = self.now;
        let hb = self.config.sse_heartbeat;
        let mut beats: Vec<StreamId> = Vec::new();
        match &mut self.proto {
            Proto::H1(s) => {
                s.conn.handle_timeout(now);
                if let Some(c) = s.cur.as_mut() {
                    if sse_due(c.sse_next, now) {
                        c.sse_next = hb.map(|d| now + d);
                        beats.push(c.id);
                    }
                }
            }
            Proto::H2(s) => {
                s.conn.handle_timeout(now);
                if let (Some(t), Some(d)) = (s.idle_since, self.config.h2_idle_timeout) {
                    if t + d <= now && s.conn.open_streams() == 0 && !self.shutting_down {
                        self.close_reason.get_or_insert(CloseReason::Timeout);
                        self.shutting_down = true;
                        s.idle_since = None;
                        s.conn.graceful_shutdown();
                    }
                }
                for (id, st) in s.streams.iter_mut() {
                    if sse_due(st.sse_next, now) {
                        st.sse_next = hb.map(|d| now + d);
                        beats.push(*id);
                    }
                }
            }
            Proto::Ws(s) => s.ws.handle_timeout(now),
            Proto::Sniff(_) => {
                if self.sniff_deadline().is_some_and(|d| d <= now) {
                    self.proto = Proto::Finished;
                    self.report_closed(CloseReason::Timeout);
                }
            }
            Proto::Finished => {}
        }
        for id in beats {
            // A full buffer skips the beat; the next one comes one interval later.
            let _ = self.send_sse_raw(id, SSE_HEARTBEAT, false);
        }
    }

    /// Before the first bytes decided the protocol: the idle timeout for a silent
    /// connection, the header-read timeout once a byte arrived.
    fn sniff_deadline(&self) -> Option<Instant> {
        let Proto::Sniff(buf) = &self.proto else {
            return None;
        };
        let d = if buf.is_empty() {
            self.config.h1.idle_timeout
        } else {
            self.config.h1.header_read_timeout
        };
        d.map(|d| self.started + d)
    }
}

fn has_token(v: &[u8], token: &[u8]) -> bool {
    v.split(|b| *b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

impl viper_core::Transmit for Connection {
    fn poll_transmit(&mut self) -> Option<&[u8]> {
        Connection::poll_transmit(self)
    }
    fn advance_transmit(&mut self, n: usize) {
        Connection::advance_transmit(self, n)
    }
}

impl viper_core::SansIo for Connection {
    type Event = Event;
    fn receive(&mut self, data: &[u8]) -> usize {
        Connection::receive(self, data)
    }
    fn receive_eof(&mut self) {
        Connection::receive_eof(self)
    }
    fn poll_event(&mut self) -> Option<Event> {
        Connection::poll_event(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Connection::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: Instant) {
        Connection::handle_timeout(self, now)
    }
    /// The server's graceful close: [`Connection::shutdown`].
    fn close(&mut self) {
        Connection::shutdown(self)
    }
    fn is_closed(&self) -> bool {
        Connection::is_closed(self)
    }
}
