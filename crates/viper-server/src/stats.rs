//! Plain counters, and the admission check for new connections.

/// Statistics as plain counters. A [`Connection`](crate::Connection) counts its own
/// (see [`Connection::take_stats`](crate::Connection::take_stats)); an adapter adds
/// them up with [`Stats::add`] and counts admissions with [`Admission`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections admitted.
    pub connections_accepted: u64,
    /// Connections refused with 503 (over `max_connections`).
    pub connections_refused: u64,
    /// Connections closed (any reason).
    pub connections_closed: u64,
    /// Requests received over HTTP/1.x.
    pub requests_h1: u64,
    /// Requests (streams) received over HTTP/2.
    pub requests_h2: u64,
    /// HTTP/1.1 connections switched to HTTP/2 by `Upgrade: h2c`.
    pub upgrades_h2c: u64,
    /// WebSocket sessions opened.
    pub websocket_sessions: u64,
    /// SSE streams started.
    pub sse_streams: u64,
    /// Bytes received from peers.
    pub bytes_in: u64,
    /// Bytes handed to the socket.
    pub bytes_out: u64,
    /// WebSocket messages received.
    pub ws_messages_in: u64,
    /// WebSocket messages sent.
    pub ws_messages_out: u64,
    /// SSE events sent (heartbeats not included).
    pub sse_events: u64,
    /// Connections closed because a timer fired (idle, slow head/body, pong, SETTINGS).
    pub closed_timeout: u64,
    /// Connections the peer closed (EOF, GOAWAY, close frame).
    pub closed_peer: u64,
    /// Connections closed because the peer broke the protocol.
    pub closed_protocol_error: u64,
    /// Connections closed because a limit was hit.
    pub closed_limit: u64,
    /// Connections we closed (shutdown, `Connection: close`, request limit).
    pub closed_local: u64,
    /// HTTP/1.1 requests answered with a 4xx/5xx by the core (malformed, too large…).
    pub errors_h1: u64,
    /// HTTP/2 connection errors (GOAWAY with an error code we sent).
    pub errors_h2: u64,
    /// HTTP/2 streams reset (by either side).
    pub h2_stream_resets: u64,
    /// WebSocket sessions failed (protocol error, timeout, too big).
    pub errors_ws: u64,
}

impl Stats {
    /// Adds every counter of `other` to `self` (saturating).
    pub fn add(&mut self, other: &Stats) {
        macro_rules! add {
            ($($f:ident),*) => { $( self.$f = self.$f.saturating_add(other.$f); )* };
        }
        add!(
            connections_accepted,
            connections_refused,
            connections_closed,
            requests_h1,
            requests_h2,
            upgrades_h2c,
            websocket_sessions,
            sse_streams,
            bytes_in,
            bytes_out,
            ws_messages_in,
            ws_messages_out,
            sse_events,
            closed_timeout,
            closed_peer,
            closed_protocol_error,
            closed_limit,
            closed_local,
            errors_h1,
            errors_h2,
            h2_stream_resets,
            errors_ws
        );
    }

    /// The counters as `(name, value)` pairs, e.g. to print them or render JSON.
    pub fn fields(&self) -> [(&'static str, u64); 22] {
        [
            ("connections_accepted", self.connections_accepted),
            ("connections_refused", self.connections_refused),
            ("connections_closed", self.connections_closed),
            ("requests_h1", self.requests_h1),
            ("requests_h2", self.requests_h2),
            ("upgrades_h2c", self.upgrades_h2c),
            ("websocket_sessions", self.websocket_sessions),
            ("sse_streams", self.sse_streams),
            ("bytes_in", self.bytes_in),
            ("bytes_out", self.bytes_out),
            ("ws_messages_in", self.ws_messages_in),
            ("ws_messages_out", self.ws_messages_out),
            ("sse_events", self.sse_events),
            ("closed_timeout", self.closed_timeout),
            ("closed_peer", self.closed_peer),
            ("closed_protocol_error", self.closed_protocol_error),
            ("closed_limit", self.closed_limit),
            ("closed_local", self.closed_local),
            ("errors_h1", self.errors_h1),
            ("errors_h2", self.errors_h2),
            ("h2_stream_resets", self.h2_stream_resets),
            ("errors_ws", self.errors_ws),
        ]
    }
}

/// The fast answer to a connection beyond `max_connections`: written once, then the
/// socket is closed without reading the request.
pub const REFUSAL_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// The refusal for an HTTP/2 prior-knowledge client beyond `max_connections`: the
/// server preface (an empty SETTINGS frame) and GOAWAY(last stream 0,
/// REFUSED_STREAM, "max connections"), so the client knows nothing was processed and
/// may retry, instead of an HTTP/1.1 503 it cannot parse.
pub const H2_REFUSAL: &[u8] = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00\
\x00\x00\x17\x07\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\x00\x07max connections";

/// What to answer a connection refused by [`Admission`], from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Write these bytes, then close.
    Answer(&'static [u8]),
    /// The bytes so far are the start of `PRI ` (HTTP/2's preface): read a little
    /// more (bounded: at most 4 bytes matter) and ask again.
    NeedMore,
}

/// Chooses the refusal for a connection from the bytes read so far: an HTTP/2
/// prior-knowledge preface (or an `h2_only` listener) gets [`H2_REFUSAL`], anything
/// else (including nothing at all, after the adapter's short wait) gets
/// [`REFUSAL_RESPONSE`].
///
/// ```
/// use viper_server::{refusal, Refusal, H2_REFUSAL, REFUSAL_RESPONSE};
/// assert_eq!(refusal(b"PRI * HTTP/2.0\r\n", false), Refusal::Answer(H2_REFUSAL));
/// assert_eq!(refusal(b"PR", false), Refusal::NeedMore);
/// assert_eq!(refusal(b"GET / HTTP/1.1\r\n", false), Refusal::Answer(REFUSAL_RESPONSE));
/// assert_eq!(refusal(b"", true), Refusal::Answer(H2_REFUSAL));
/// ```
pub fn refusal(first: &[u8], h2_only: bool) -> Refusal {
    if h2_only {
        return Refusal::Answer(H2_REFUSAL);
    }
    let sniff = crate::H2_SNIFF;
    let n = first.len().min(sniff.len());
    if first.get(..n) != sniff.get(..n) || first.is_empty() {
        Refusal::Answer(REFUSAL_RESPONSE)
    } else if n < sniff.len() {
        Refusal::NeedMore
    } else {
        Refusal::Answer(H2_REFUSAL)
    }
}

/// Admission control for new connections: at most `max_connections` at once.
///
/// A connection beyond the limit is answered with [`REFUSAL_RESPONSE`] and closed;
/// existing connections are not disturbed.
#[derive(Clone, Debug)]
pub struct Admission {
    max: usize,
    active: usize,
    accepted: u64,
    refused: u64,
}

impl Admission {
    /// Admission with room for `max_connections` (0 refuses everything).
    pub fn new(max_connections: usize) -> Self {
        Admission {
            max: max_connections,
            active: 0,
            accepted: 0,
            refused: 0,
        }
    }

    /// A new connection arrived: `true` admits it (call [`release`](Self::release)
    /// when it ends), `false` means answer [`REFUSAL_RESPONSE`] and close.
    pub fn try_admit(&mut self) -> bool {
        if self.active < self.max {
            self.active += 1;
            self.accepted = self.accepted.saturating_add(1);
            true
        } else {
            self.refused = self.refused.saturating_add(1);
            false
        }
    }

    /// An admitted connection ended.
    pub fn release(&mut self) {
        self.active = self.active.saturating_sub(1);
    }

    /// Connections admitted and not yet released.
    pub fn active(&self) -> usize {
        self.active
    }

    /// The limit.
    pub fn max_connections(&self) -> usize {
        self.max
    }

    /// Counters: accepted and refused so far (other fields zero).
    pub fn stats(&self) -> Stats {
        Stats {
            connections_accepted: self.accepted,
            connections_refused: self.refused,
            ..Stats::default()
        }
    }
}
