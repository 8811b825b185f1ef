//! The connection state machine (both roles).

use alloc::collections::VecDeque;
use bytes::{Bytes, BytesMut};
use viper_core::{Duration, Instant};

use crate::chunked::{size_line, Chunk, ChunkedDecoder};
use crate::config::{Config, ContinueMode};
use crate::error::{Error, ErrorKind, SendError};
use crate::head::{
    parse_content_length, parse_request, parse_response, BodyKind, Head, Headers, Method,
    RequestHead, ResponseHead, Version,
};

/// The HTTP/2 connection preface (RFC 9113 §3.4).
pub const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Payloads up to this size are copied into the output buffer (fewer, larger writes);
/// bigger ones are queued as they are (zero-copy).
const COPY_THRESHOLD: usize = 512;

/// Which side of the connection this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Parses requests, writes responses.
    Server,
    /// Writes requests, parses responses.
    Client,
}

/// What the connection has to report. Match it exhaustively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Server role: a request head. Its body follows as [`Event::Data`] and ends with
    /// [`Event::End`] (immediately, if there is no body).
    Request(RequestHead),
    /// Client role: the final response head. Body and end follow as for requests.
    Response(ResponseHead),
    /// Client role: the server sent `100 Continue`; send the request body now.
    Continue,
    /// Client role: another interim (1xx) response, such as `103 Early Hints`.
    Informational(ResponseHead),
    /// A piece of body, split off the input without copying. Never empty.
    Data(Bytes),
    /// The message is complete; `trailers` is empty unless a chunked body had some.
    End {
        /// The trailer section of a chunked body.
        trailers: Headers,
    },
    /// The peer wants to switch protocols and HTTP/1.1 parsing stops here.
    ///
    /// Server role: a bodiless request carrying `Upgrade` + `Connection: upgrade`
    /// (WebSocket, h2c), or a CONNECT. Answer with `send_response(101, ..)` (or a 2xx
    /// for CONNECT) to switch, after which [`Connection::is_switched`] is true; any
    /// other answer closes the connection after it is sent. Client role: a `101` or a
    /// 2xx to CONNECT; the switch has happened.
    ///
    /// `rest` is every byte received after the head. From now on `receive` takes no
    /// more input (it returns 0), so the caller also keeps whatever it had not fed.
    Upgrade {
        /// The head that asked for (server) or confirmed (client) the switch.
        head: Head,
        /// Bytes that followed the head; they belong to the next protocol.
        rest: Bytes,
    },
    /// Server role: the connection opened with the HTTP/2 prior-knowledge preface.
    /// `bytes` holds everything received (preface included) for the HTTP/2 layer;
    /// `receive` takes no more input.
    Http2Preface {
        /// The preface and whatever followed it.
        bytes: Bytes,
    },
    /// The peer broke the protocol, a limit was hit, or a timer fired. See
    /// [`Error::status`] for the answer a server sends with `send_response`.
    Error(Error),
    /// The peer closed its sending side at a message boundary. A server may still
    /// finish a response in progress (half-close); otherwise the connection is closed.
    Closed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum BodyDec {
    Length(u64),
    Chunked(ChunkedDecoder),
    Eof,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Recv {
    Idle,
    Body(BodyDec),
    Done,
    Paused,
    Closed,
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    Eof,
    Empty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Send {
    Idle,
    Body(Framing),
    Done,
    Switched,
    Closed,
}

/// An HTTP/1.1 connection, either role, with no I/O of its own.
///
/// Drive it with [`receive`](Self::receive) / [`receive_eof`](Self::receive_eof),
/// [`poll_event`](Self::poll_event), the `send_*` commands,
/// [`poll_transmit`](Self::poll_transmit), and the timer pair
/// [`poll_timeout`](Self::poll_timeout) / [`handle_timeout`](Self::handle_timeout).
/// One message exchange runs at a time; pipelined requests wait in the input buffer
/// and are reported, in order, once the previous response is finished.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    inbuf: BytesMut,
    out: BytesMut,
    queue: VecDeque<Bytes>,
    /// Bytes of `queue`'s front chunk already written (`advance_transmit`).
    sent: usize,
    recv: Recv,
    send: Send,
    pending_error: Option<Error>,
    now: Instant,
    head_start: Option<Instant>,
    idle_start: Instant,
    body_activity: Instant,
    body_received: u64,
    /// Bytes of the head in `inbuf` already tried by the parser (0: none).
    head_scan: usize,
    messages: u32,
    role: Role,
    keep_alive: bool,
    peer_eof: bool,
    head_has_lf: bool,
    awaiting_response: bool,
    can_respond: bool,
    req_head: bool,
    req_connect: bool,
    peer_http10: bool,
    continue_pending: bool,
    upgrade_offered: bool,
}

fn reason(status: u16) -> &'static [u8] {
    match status {
        100 => b"Continue",
        101 => b"Switching Protocols",
        103 => b"Early Hints",
        200 => b"OK",
        201 => b"Created",
        202 => b"Accepted",
        204 => b"No Content",
        206 => b"Partial Content",
        301 => b"Moved Permanently",
        302 => b"Found",
        303 => b"See Other",
        304 => b"Not Modified",
        307 => b"Temporary Redirect",
        308 => b"Permanent Redirect",
        400 => b"Bad Request",
        401 => b"Unauthorized",
        403 => b"Forbidden",
        404 => b"Not Found",
        405 => b"Method Not Allowed",
        408 => b"Request Timeout",
        409 => b"Conflict",
        411 => b"Length Required",
        413 => b"Content Too Large",
        414 => b"URI Too Long",
        415 => b"Unsupported Media Type",
        417 => b"Expectation Failed",
        426 => b"Upgrade Required",
        429 => b"Too Many Requests",
        431 => b"Request Header Fields Too Large",
        500 => b"Internal Server Error",
        501 => b"Not Implemented",
        502 => b"Bad Gateway",
        503 => b"Service Unavailable",
        504 => b"Gateway Timeout",
        505 => b"HTTP Version Not Supported",
        _ => b"",
    }
}

fn is_token(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_field_value(s: &[u8]) -> bool {
    s.iter().all(|&b| b >= 0x20 && b != 0x7f || b == b'\t')
}

fn has_token(v: &[u8], token: &[u8]) -> bool {
    v.split(|&b| b == b',').any(|t| {
        let t = t.trim_ascii();
        t.eq_ignore_ascii_case(token)
    })
}

/// What the application's own headers say about framing and persistence.
struct OwnHeaders {
    content_length: Option<u64>,
    chunked: bool,
    close: bool,
}

fn scan_own<N: AsRef<[u8]>, V: AsRef<[u8]>>(headers: &[(N, V)]) -> Result<OwnHeaders, SendError> {
    let mut own = OwnHeaders {
        content_length: None,
        chunked: false,
        close: false,
    };
    for (n, v) in headers {
        let (n, v) = (n.as_ref(), v.as_ref());
        if !is_token(n) || !is_field_value(v) {
            return Err(SendError::InvalidHead);
        }
        if n.eq_ignore_ascii_case(b"content-length") {
            if own.content_length.is_some() {
                return Err(SendError::InvalidHead);
            }
            own.content_length = Some(parse_content_length(v).map_err(|_| SendError::InvalidHead)?);
        } else if n.eq_ignore_ascii_case(b"transfer-encoding") {
            // We only produce `chunked` framing ourselves.
            if !v.trim_ascii().eq_ignore_ascii_case(b"chunked") || own.chunked {
                return Err(SendError::InvalidHead);
            }
            own.chunked = true;
        } else if n.eq_ignore_ascii_case(b"connection") {
            own.close |= has_token(v, b"close");
        }
    }
    if own.chunked && own.content_length.is_some() {
        return Err(SendError::InvalidHead);
    }
    Ok(own)
}

fn write_u64(out: &mut BytesMut, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
}

fn write_fields<N: AsRef<[u8]>, V: AsRef<[u8]>>(out: &mut BytesMut, headers: &[(N, V)]) {
    for (n, v) in headers {
        out.extend_from_slice(n.as_ref());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_ref());
        out.extend_from_slice(b"\r\n");
    }
}

fn deadline(start: Instant, d: Option<Duration>) -> Option<Instant> {
    d.map(|d| start + d)
}

impl Connection {
    /// A new connection in `role` with the given limits. `now` is the time it opened
    /// (it starts the idle timer).
    pub fn new(role: Role, config: Config, now: Instant) -> Self {
        Connection {
            inbuf: BytesMut::new(),
            out: BytesMut::new(),
            queue: VecDeque::new(),
            sent: 0,
            recv: Recv::Idle,
            send: Send::Idle,
            pending_error: None,
            now,
            head_start: None,
            idle_start: now,
            body_activity: now,
            body_received: 0,
            head_scan: 0,
            messages: 0,
            role,
            keep_alive: true,
            peer_eof: false,
            head_has_lf: false,
            awaiting_response: false,
            can_respond: false,
            req_head: false,
            req_connect: false,
            peer_http10: false,
            continue_pending: false,
            upgrade_offered: false,
            config,
        }
    }

    /// A server-role connection.
    pub fn server(config: Config, now: Instant) -> Self {
        Self::new(Role::Server, config, now)
    }

    /// A client-role connection.
    pub fn client(config: Config, now: Instant) -> Self {
        Self::new(Role::Client, config, now)
    }

    /// This connection's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The limits in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    // -----------------------------------------------------------------------------
    // Input

    /// Buffers bytes read from the peer and returns how many were taken. It takes less
    /// than offered when the input buffer is full (pipelined requests waiting for
    /// their turn): call [`poll_event`](Self::poll_event), answer, and offer the rest
    /// again. After [`Event::Upgrade`] or [`Event::Http2Preface`] it takes nothing;
    /// after an error or close it discards what it is given.
    pub fn receive(&mut self, data: &[u8]) -> usize {
        match self.recv {
            Recv::Paused => return 0,
            Recv::Closed | Recv::Error => return data.len(),
            _ => {}
        }
        if self.send == Send::Switched {
            return 0;
        }
        if self.peer_eof {
            return data.len();
        }
        let room = self.config.input_cap().saturating_sub(self.inbuf.len());
        let n = room.min(data.len());
        if n == 0 {
            return 0;
        }
        self.inbuf.extend_from_slice(&data[..n]);
        match self.recv {
            Recv::Idle if self.head_start.is_none() && self.waiting_for_head() => {
                self.head_start = Some(self.now);
            }
            Recv::Body(_) => self.body_activity = self.now,
            _ => {}
        }
        n
    }

    /// The peer closed its sending side (a read returned 0). The connection will not
    /// be kept alive; a response in progress may still be finished.
    pub fn receive_eof(&mut self) {
        self.peer_eof = true;
        self.keep_alive = false;
    }

    fn waiting_for_head(&self) -> bool {
        match self.role {
            Role::Server => true,
            Role::Client => self.awaiting_response,
        }
    }

    fn fail(&mut self, kind: ErrorKind) {
        let status = match self.role {
            Role::Server => kind.status(),
            Role::Client => None,
        };
        self.keep_alive = false;
        self.recv = Recv::Error;
        self.head_start = None;
        self.can_respond = self.role == Role::Server && status.is_some() && self.send == Send::Idle;
        if !self.can_respond && matches!(self.send, Send::Idle | Send::Done) {
            self.send = Send::Closed;
        }
        self.pending_error = Some(Error {
            kind,
            status,
            close: true,
        });
    }

    /// The next event, if any. Call it until it returns `None` after every
    /// `receive`, `receive_eof`, `handle_timeout` and finished response.
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(e) = self.pending_error.take() {
            return Some(Event::Error(e));
        }
        match self.recv {
            Recv::Idle => self.poll_head(),
            Recv::Body(_) => self.poll_body(),
            Recv::Done | Recv::Paused | Recv::Closed | Recv::Error => None,
        }
    }

    fn poll_head(&mut self) -> Option<Event> {
        if !self.waiting_for_head() {
            if !self.inbuf.is_empty() {
                self.fail(ErrorKind::UnexpectedData);
                return self.poll_event();
            }
            if self.peer_eof {
                return Some(self.peer_closed());
            }
            return None;
        }
        if self.inbuf.is_empty() {
            if self.peer_eof {
                if self.role == Role::Client {
                    self.fail(ErrorKind::IncompleteMessage);
                    return self.poll_event();
                }
                return Some(self.peer_closed());
            }
            return None;
        }
        if self.role == Role::Server && self.messages == 0 {
            let n = self.inbuf.len().min(H2_PREFACE.len());
            if self.inbuf[..n] == H2_PREFACE[..n] {
                if n == H2_PREFACE.len() {
                    self.recv = Recv::Paused;
                    self.send = Send::Switched;
                    self.head_start = None;
                    let bytes = self.inbuf.split().freeze();
                    return Some(Event::Http2Preface { bytes });
                }
                if self.peer_eof {
                    self.fail(ErrorKind::IncompleteMessage);
                    return self.poll_event();
                }
                return None;
            }
        }
        // A head can only complete with a new LF. Re-parsing a growing partial head on
        // every byte would cost O(n²) (slowloris); skip until an LF arrives, unless the
        // size limits could now be exceeded or the peer has closed.
        let len = self.inbuf.len();
        if self.head_scan > 0
            && len <= self.config.max_head_size
            && !self.peer_eof
            && !self.inbuf[self.head_scan.min(len)..].contains(&b'\n')
            && (self.head_has_lf || len <= self.config.max_uri_len)
        {
            self.head_scan = len;
            return None;
        }
        let ev = match self.role {
            Role::Server => self.poll_request_head(),
            Role::Client => self.poll_response_head(),
        };
        if ev.is_none() && self.recv == Recv::Idle {
            self.head_scan = self.inbuf.len();
            self.head_has_lf = self.inbuf.contains(&b'\n');
        } else {
            self.head_scan = 0;
            self.head_has_lf = false;
        }
        ev
    }

    fn peer_closed(&mut self) -> Event {
        self.recv = Recv::Closed;
        self.head_start = None;
        if self.send == Send::Idle || self.send == Send::Done {
            self.send = Send::Closed;
        }
        Event::Closed
    }

    fn poll_request_head(&mut self) -> Option<Event> {
        let head = match parse_request(&mut self.inbuf, &self.config) {
            Ok(Some(h)) => h,
            Ok(None) => {
                if self.peer_eof {
                    self.fail(ErrorKind::IncompleteMessage);
                    return self.poll_event();
                }
                return None;
            }
            Err(k) => {
                self.fail(k);
                return self.poll_event();
            }
        };
        self.messages = self.messages.saturating_add(1);
        self.head_start = None;
        self.peer_http10 = head.version == Version::Http10;
        self.req_head = head.method == Method::Head;
        self.req_connect = head.method == Method::Connect;
        self.keep_alive &= head.keep_alive;
        let max = self.config.max_requests_per_connection;
        if max != 0 && self.messages >= max {
            self.keep_alive = false;
        }
        self.can_respond = true;
        if head.body == BodyKind::Empty && head.wants_upgrade() {
            self.upgrade_offered = true;
            self.recv = Recv::Paused;
            let rest = self.inbuf.split().freeze();
            return Some(Event::Upgrade {
                head: Head::Request(head),
                rest,
            });
        }
        self.start_body(head.body);
        if head.expects_continue {
            match self.config.continue_mode {
                ContinueMode::Automatic => {
                    self.out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n")
                }
                ContinueMode::Manual => self.continue_pending = true,
            }
        }
        Some(Event::Request(head))
    }

    fn start_body(&mut self, body: BodyKind) {
        self.body_activity = self.now;
        self.body_received = 0;
        self.recv = match body {
            BodyKind::Empty => Recv::Body(BodyDec::Length(0)),
            BodyKind::Length(n) => Recv::Body(BodyDec::Length(n)),
            BodyKind::Chunked => Recv::Body(BodyDec::Chunked(ChunkedDecoder::new())),
            BodyKind::CloseDelimited => Recv::Body(BodyDec::Eof),
        };
    }

    fn poll_response_head(&mut self) -> Option<Event> {
        let head = match parse_response(
            &mut self.inbuf,
            &self.config,
            self.req_head,
            self.req_connect,
        ) {
            Ok(Some(h)) => h,
            Ok(None) => {
                if self.peer_eof {
                    self.fail(ErrorKind::IncompleteMessage);
                    return self.poll_event();
                }
                return None;
            }
            Err(k) => {
                self.fail(k);
                return self.poll_event();
            }
        };
        let switch = head.status == 101 || (self.req_connect && (200..300).contains(&head.status));
        if switch {
            self.recv = Recv::Paused;
            self.send = Send::Switched;
            self.head_start = None;
            let rest = self.inbuf.split().freeze();
            return Some(Event::Upgrade {
                head: Head::Response(head),
                rest,
            });
        }
        if head.status == 100 {
            return Some(Event::Continue);
        }
        if head.status < 200 {
            return Some(Event::Informational(head));
        }
        self.head_start = None;
        self.keep_alive &= head.keep_alive;
        self.start_body(head.body);
        Some(Event::Response(head))
    }

    fn poll_body(&mut self) -> Option<Event> {
        let Recv::Body(dec) = &mut self.recv else {
            return None;
        };
        let step: Result<Option<Event>, ErrorKind> = match dec {
            BodyDec::Length(0) => Ok(Some(Event::End {
                trailers: Headers::default(),
            })),
            BodyDec::Length(rem) => {
                if self.inbuf.is_empty() {
                    if self.peer_eof {
                        Err(ErrorKind::IncompleteMessage)
                    } else {
                        Ok(None)
                    }
                } else {
                    let take = usize::try_from(*rem)
                        .unwrap_or(usize::MAX)
                        .min(self.inbuf.len());
                    *rem -= take as u64;
                    Ok(Some(Event::Data(self.inbuf.split_to(take).freeze())))
                }
            }
            BodyDec::Chunked(d) => match d.decode(&mut self.inbuf, &self.config) {
                Ok(Some(Chunk::Data(b))) => Ok(Some(Event::Data(b))),
                Ok(Some(Chunk::End(trailers))) => Ok(Some(Event::End { trailers })),
                Ok(None) if self.peer_eof => Err(ErrorKind::IncompleteMessage),
                Ok(None) => Ok(None),
                Err(k) => Err(k),
            },
            BodyDec::Eof => {
                if !self.inbuf.is_empty() {
                    let n = self.inbuf.len() as u64;
                    match self.body_received.checked_add(n) {
                        Some(t) if t <= self.config.max_body_size => {
                            self.body_received = t;
                            Ok(Some(Event::Data(self.inbuf.split().freeze())))
                        }
                        _ => Err(ErrorKind::BodyTooLarge),
                    }
                } else if self.peer_eof {
                    Ok(Some(Event::End {
                        trailers: Headers::default(),
                    }))
                } else {
                    Ok(None)
                }
            }
        };
        match step {
            Ok(Some(ev)) => {
                if matches!(ev, Event::End { .. }) {
                    self.recv = Recv::Done;
                    if self.role == Role::Client {
                        self.awaiting_response = false;
                    }
                    self.maybe_reset();
                }
                Some(ev)
            }
            Ok(None) => None,
            Err(k) => {
                self.fail(k);
                self.poll_event()
            }
        }
    }

    fn maybe_reset(&mut self) {
        if self.recv != Recv::Done || self.send != Send::Done {
            return;
        }
        if !self.keep_alive {
            self.recv = Recv::Closed;
            self.send = Send::Closed;
            return;
        }
        self.recv = Recv::Idle;
        self.send = Send::Idle;
        self.can_respond = false;
        self.req_head = false;
        self.req_connect = false;
        self.peer_http10 = false;
        self.continue_pending = false;
        self.upgrade_offered = false;
        self.awaiting_response = false;
        self.idle_start = self.now;
        self.head_start = if self.inbuf.is_empty() || self.role == Role::Client {
            None
        } else {
            Some(self.now)
        };
    }

    // -----------------------------------------------------------------------------
    // Output

    fn push(&mut self, data: Bytes) {
        if data.len() <= COPY_THRESHOLD {
            self.out.extend_from_slice(&data);
        } else {
            if !self.out.is_empty() {
                self.queue.push_back(self.out.split().freeze());
            }
            self.queue.push_back(data);
        }
    }

    /// Server role: answers the current request (or a reported error) with `status`
    /// and `headers`.
    ///
    /// Framing follows the headers you give: `Content-Length` → exactly that many
    /// bytes; `Transfer-Encoding: chunked` → chunked; neither → chunked for an
    /// HTTP/1.1 client (the header is added) or close-delimited for HTTP/1.0. No body
    /// is written for HEAD, 1xx, 204 and 304. `Connection: close` /
    /// `Connection: keep-alive` are added when the connection's fate needs saying.
    /// A `1xx` other than 101 is interim and may be followed by the final response.
    /// `101` (or a 2xx to CONNECT) after [`Event::Upgrade`] switches protocols.
    /// Every response must be completed with [`finish`](Self::finish) or
    /// [`send_trailers`](Self::send_trailers).
    pub fn send_response<N, V>(&mut self, status: u16, headers: &[(N, V)]) -> Result<(), SendError>
    where
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        if self.role != Role::Server || self.send != Send::Idle || !self.can_respond {
            return Err(SendError::WrongState);
        }
        if !(100..=999).contains(&status) {
            return Err(SendError::InvalidHead);
        }
        let own = scan_own(headers)?;
        if (100..200).contains(&status) {
            if status == 101 && !self.upgrade_offered {
                return Err(SendError::WrongState);
            }
            self.write_status_line(status);
            write_fields(&mut self.out, headers);
            self.out.extend_from_slice(b"\r\n");
            if status == 101 {
                self.send = Send::Switched;
                self.can_respond = false;
            } else if status == 100 {
                self.continue_pending = false;
            }
            return Ok(());
        }
        if self.upgrade_offered {
            if self.req_connect && (200..300).contains(&status) {
                self.write_status_line(status);
                write_fields(&mut self.out, headers);
                self.out.extend_from_slice(b"\r\n");
                self.send = Send::Switched;
                self.can_respond = false;
                return Ok(());
            }
            // The bytes after the head were handed out: HTTP/1.1 cannot continue.
            self.keep_alive = false;
        }
        if self.continue_pending && self.recv != Recv::Done {
            // The client may be holding its body back: do not wait for it.
            self.keep_alive = false;
            self.continue_pending = false;
        }
        if own.close || self.recv == Recv::Error {
            self.keep_alive = false;
        }
        let no_body = self.req_head || status == 204 || status == 304;
        let mut add_chunked = false;
        let framing = if no_body {
            Framing::Empty
        } else if own.chunked {
            if self.peer_http10 {
                return Err(SendError::InvalidHead);
            }
            Framing::Chunked
        } else if let Some(n) = own.content_length {
            Framing::Length(n)
        } else if self.peer_http10 {
            self.keep_alive = false;
            Framing::Eof
        } else {
            add_chunked = true;
            Framing::Chunked
        };
        self.write_status_line(status);
        write_fields(&mut self.out, headers);
        if add_chunked {
            self.out
                .extend_from_slice(b"transfer-encoding: chunked\r\n");
        }
        if !self.keep_alive && !own.close {
            self.out.extend_from_slice(b"connection: close\r\n");
        } else if self.keep_alive && self.peer_http10 {
            self.out.extend_from_slice(b"connection: keep-alive\r\n");
        }
        self.out.extend_from_slice(b"\r\n");
        self.send = Send::Body(framing);
        self.can_respond = false;
        Ok(())
    }

    fn write_status_line(&mut self, status: u16) {
        self.out.extend_from_slice(b"HTTP/1.1 ");
        write_u64(&mut self.out, u64::from(status));
        self.out.extend_from_slice(b" ");
        self.out.extend_from_slice(reason(status));
        self.out.extend_from_slice(b"\r\n");
    }

    /// Server role: sends `100 Continue` for a request that carried
    /// `Expect: 100-continue` (only needed with [`ContinueMode::Manual`]).
    pub fn send_continue(&mut self) -> Result<(), SendError> {
        if self.role != Role::Server || !self.continue_pending || self.send != Send::Idle {
            return Err(SendError::WrongState);
        }
        self.continue_pending = false;
        self.out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        Ok(())
    }

    /// Client role: sends a request head. Framing follows `headers`:
    /// `Content-Length` or `Transfer-Encoding: chunked`; neither means no body.
    /// Complete it with [`finish`](Self::finish). One request at a time: the next may
    /// be sent once this response has ended.
    pub fn send_request<N, V>(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(N, V)],
    ) -> Result<(), SendError>
    where
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        if self.role != Role::Client
            || self.send != Send::Idle
            || self.recv != Recv::Idle
            || self.awaiting_response
        {
            return Err(SendError::WrongState);
        }
        let t = target.as_bytes();
        if !is_token(method.as_bytes()) || t.is_empty() || t.iter().any(|&b| b <= 0x20 || b == 0x7f)
        {
            return Err(SendError::InvalidHead);
        }
        let own = scan_own(headers)?;
        let framing = if own.chunked {
            Framing::Chunked
        } else {
            match own.content_length {
                Some(n) => Framing::Length(n),
                None => Framing::Empty,
            }
        };
        self.out.extend_from_slice(method.as_bytes());
        self.out.extend_from_slice(b" ");
        self.out.extend_from_slice(t);
        self.out.extend_from_slice(b" HTTP/1.1\r\n");
        write_fields(&mut self.out, headers);
        self.out.extend_from_slice(b"\r\n");
        if own.close {
            self.keep_alive = false;
        }
        self.req_head = method == "HEAD";
        self.req_connect = method == "CONNECT";
        self.awaiting_response = true;
        self.messages = self.messages.saturating_add(1);
        self.send = Send::Body(framing);
        Ok(())
    }

    /// Sends a piece of the current message's body (framed as the head decided).
    pub fn send_data(&mut self, data: impl Into<Bytes>) -> Result<(), SendError> {
        let data = data.into();
        let Send::Body(framing) = &mut self.send else {
            return Err(SendError::WrongState);
        };
        match framing {
            Framing::Length(rem) => {
                let len = data.len() as u64;
                if len > *rem {
                    return Err(SendError::BodyTooLong);
                }
                *rem -= len;
                self.push(data);
            }
            Framing::Chunked => {
                if !data.is_empty() {
                    size_line(data.len(), &mut self.out);
                    self.push(data);
                    self.out.extend_from_slice(b"\r\n");
                }
            }
            Framing::Eof => self.push(data),
            Framing::Empty => {
                if !data.is_empty() {
                    return Err(SendError::BodyNotAllowed);
                }
            }
        }
        Ok(())
    }

    /// Ends the current message (the last chunk, for chunked framing).
    pub fn finish(&mut self) -> Result<(), SendError> {
        self.end_message::<&[u8], &[u8]>(&[])
    }

    /// Ends the current chunked message with a trailer section.
    pub fn send_trailers<N, V>(&mut self, trailers: &[(N, V)]) -> Result<(), SendError>
    where
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        if self.send != Send::Body(Framing::Chunked) {
            return Err(SendError::TrailersNotAllowed);
        }
        for (n, v) in trailers {
            if !is_token(n.as_ref()) || !is_field_value(v.as_ref()) {
                return Err(SendError::InvalidHead);
            }
        }
        self.end_message(trailers)
    }

    fn end_message<N: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        trailers: &[(N, V)],
    ) -> Result<(), SendError> {
        let Send::Body(framing) = self.send else {
            return Err(SendError::WrongState);
        };
        match framing {
            Framing::Length(0) | Framing::Empty => {}
            Framing::Length(_) => return Err(SendError::BodyIncomplete),
            Framing::Chunked => {
                self.out.extend_from_slice(b"0\r\n");
                write_fields(&mut self.out, trailers);
                self.out.extend_from_slice(b"\r\n");
            }
            Framing::Eof => self.keep_alive = false,
        }
        self.send = Send::Done;
        if self.role == Role::Client && self.recv == Recv::Idle && self.head_start.is_none() {
            self.head_start = Some(self.now);
        }
        if matches!(self.recv, Recv::Error | Recv::Closed | Recv::Paused) {
            // After an error, a close, or a declined upgrade nothing more can follow.
            self.send = Send::Closed;
            if self.recv == Recv::Paused {
                self.recv = Recv::Closed;
            }
        }
        self.maybe_reset();
        Ok(())
    }

    /// Closes the connection from our side: nothing more is parsed or accepted;
    /// already queued output may still be transmitted.
    pub fn close(&mut self) {
        self.keep_alive = false;
        self.send = Send::Closed;
        if self.recv != Recv::Paused {
            self.recv = Recv::Closed;
        }
        self.head_start = None;
        self.can_respond = false;
    }

    /// The bytes to write to the peer next, or `None` when there are none. Calling it
    /// again without [`advance_transmit`](Self::advance_transmit) shows the same
    /// bytes. Large bodies given to `send_data` are shown as they are (zero-copy).
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        while self.queue.front().is_some_and(|b| b.len() <= self.sent) {
            self.queue.pop_front();
            self.sent = 0;
        }
        if self.queue.is_empty() {
            if self.out.is_empty() {
                return None;
            }
            let b = self.out.split().freeze();
            self.queue.push_back(b);
            self.sent = 0;
        }
        self.queue.front().and_then(|b| b.get(self.sent..))
    }

    /// The first `n` bytes shown by [`poll_transmit`](Self::poll_transmit) were
    /// written; the next call resumes right after them.
    pub fn advance_transmit(&mut self, n: usize) {
        let Some(front) = self.queue.front() else {
            return;
        };
        self.sent = self.sent.saturating_add(n).min(front.len());
        if self.sent == front.len() {
            self.queue.pop_front();
            self.sent = 0;
        }
    }

    /// Takes the next bytes to write as an owned [`Bytes`] (no copy): for callers that
    /// keep output in their own queue. Mixing it with `poll_transmit` is fine: what a
    /// partial `advance_transmit` left comes first.
    pub fn take_transmit(&mut self) -> Option<Bytes> {
        if let Some(mut b) = self.queue.pop_front() {
            let skip = self.sent.min(b.len());
            bytes::Buf::advance(&mut b, skip);
            self.sent = 0;
            return Some(b);
        }
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.split().freeze())
        }
    }

    /// Whether output is waiting in [`poll_transmit`](Self::poll_transmit).
    pub fn has_output(&self) -> bool {
        !self.queue.is_empty() || !self.out.is_empty()
    }

    /// Whether the connection is finished: once the output is written, close the socket.
    pub fn is_closed(&self) -> bool {
        self.send == Send::Closed
    }

    /// Whether protocols were switched (101, CONNECT 2xx, or the HTTP/2 preface):
    /// write the remaining output, then hand the socket to the next protocol.
    pub fn is_switched(&self) -> bool {
        self.send == Send::Switched
    }

    /// Whether the connection will be kept open after the current exchange.
    pub fn is_keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// Bytes received but not yet consumed (pipelined input, partial heads).
    pub fn buffered_input(&self) -> usize {
        self.inbuf.len()
    }

    // -----------------------------------------------------------------------------
    // Time

    /// When [`handle_timeout`](Self::handle_timeout) next needs to run, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.recv {
            Recv::Idle => {
                if let Some(start) = self.head_start {
                    deadline(start, self.config.header_read_timeout)
                } else if self.send == Send::Idle && !self.awaiting_response {
                    deadline(self.idle_start, self.config.idle_timeout)
                } else {
                    None
                }
            }
            Recv::Body(_) => deadline(self.body_activity, self.config.body_read_timeout),
            _ => None,
        }
    }

    /// Tells the connection the current time and fires any expired timer (the error
    /// then comes out of [`poll_event`](Self::poll_event)). Call it whenever you wake
    /// up, before `receive`: it is also how the connection learns the time at which
    /// bytes arrive.
    pub fn handle_timeout(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
        let Some(dl) = self.poll_timeout() else {
            return;
        };
        if self.now < dl {
            return;
        }
        match self.recv {
            Recv::Idle if self.head_start.is_some() => self.fail(ErrorKind::HeaderTimeout),
            Recv::Idle => {
                self.keep_alive = false;
                self.recv = Recv::Closed;
                self.send = Send::Closed;
                self.pending_error = Some(Error {
                    kind: ErrorKind::IdleTimeout,
                    status: None,
                    close: true,
                });
            }
            _ => self.fail(ErrorKind::BodyTimeout),
        }
    }
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
    /// HTTP/1.1's graceful close: [`Connection::close`] (queued output is still
    /// written; nothing more is accepted).
    fn close(&mut self) {
        Connection::close(self)
    }
    fn is_closed(&self) -> bool {
        Connection::is_closed(self)
    }
}
