//! Server side: turning events into `text/event-stream` bytes.

use alloc::vec::Vec;
use core::fmt;

use viper_core::{Duration, Instant};

/// One event to send, borrowed from the caller.
///
/// Built with [`Event::data`] and the chained setters; every field is
/// optional. `data` may contain any mix of CR, LF and CRLF line ends: each
/// line becomes its own `data:` line, which a client joins back with LF.
///
/// An event without `data` is still written (it can carry an `id` or a
/// `retry`), but browsers do not dispatch it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Event<'a> {
    /// The `event:` field (the client's event type); `None` means `message`.
    pub event: Option<&'a str>,
    /// The `data:` payload; `None` writes no `data:` line at all, while
    /// `Some("")` writes one empty `data:` line (an event with empty data).
    pub data: Option<&'a str>,
    /// The `id:` field; must not contain CR, LF or NUL.
    pub id: Option<&'a str>,
    /// The `retry:` field: the client's reconnection delay, in milliseconds.
    pub retry: Option<Duration>,
}

impl<'a> Event<'a> {
    /// An event carrying `data`, with the default type `message`.
    pub fn data(data: &'a str) -> Self {
        Event {
            data: Some(data),
            ..Event::default()
        }
    }

    /// Sets the event type (`event:` field).
    pub fn event(mut self, event: &'a str) -> Self {
        self.event = Some(event);
        self
    }

    /// Sets the event id (`id:` field).
    pub fn id(mut self, id: &'a str) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets the reconnection delay (`retry:` field, whole milliseconds).
    pub fn retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Checks the fields that cannot be represented on the wire.
    pub fn validate(&self) -> Result<(), EncodeError> {
        if let Some(id) = self.id {
            if id.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
                return Err(EncodeError::InvalidId);
            }
        }
        if let Some(ev) = self.event {
            if ev.bytes().any(|b| matches!(b, b'\r' | b'\n')) {
                return Err(EncodeError::InvalidEventType);
            }
        }
        Ok(())
    }

    /// The exact number of bytes [`Event::encode_into`] appends, or the
    /// validation error.
    pub fn encoded_len(&self) -> Result<usize, EncodeError> {
        self.validate()?;
        let mut n = 0usize;
        if let Some(ev) = self.event {
            n = n.saturating_add(field_len(b"event", ev.len()));
        }
        if let Some(data) = self.data {
            for line in Lines::new(data) {
                n = n.saturating_add(field_len(b"data", line.len()));
            }
        }
        if let Some(id) = self.id {
            n = n.saturating_add(field_len(b"id", id.len()));
        }
        if let Some(retry) = self.retry {
            n = n.saturating_add(field_len(b"retry", decimal_len(millis(retry))));
        }
        // The blank line that dispatches the event.
        Ok(n.saturating_add(1))
    }

    /// Appends the event, terminated by its blank line, to `out`.
    ///
    /// Nothing is appended when the event is invalid.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let len = self.encoded_len()?;
        out.reserve(len);
        if let Some(ev) = self.event {
            put_field(out, b"event", ev.as_bytes());
        }
        if let Some(data) = self.data {
            for line in Lines::new(data) {
                put_field(out, b"data", line.as_bytes());
            }
        }
        if let Some(id) = self.id {
            put_field(out, b"id", id.as_bytes());
        }
        if let Some(retry) = self.retry {
            let mut digits = [0u8; 20];
            let s = format_decimal(millis(retry), &mut digits);
            put_field(out, b"retry", s);
        }
        out.push(b'\n');
        Ok(())
    }
}

/// Why an event or comment could not be queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The `id` contains CR, LF or NUL, which the wire format cannot carry
    /// (a client would split the line or ignore the id).
    InvalidId,
    /// The event type contains CR or LF.
    InvalidEventType,
    /// Queuing this would put more than [`EncoderConfig::max_pending_output`]
    /// bytes in the transmit buffer; drain it with
    /// [`Encoder::advance_transmit`] and try again.
    WouldBlock {
        /// Bytes the event needs.
        needed: usize,
        /// Bytes still free under the limit.
        available: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::InvalidId => f.write_str("SSE event id contains CR, LF or NUL"),
            EncodeError::InvalidEventType => f.write_str("SSE event type contains CR or LF"),
            EncodeError::WouldBlock { needed, available } => write!(
                f,
                "SSE output buffer full: {needed} bytes needed, {available} available"
            ),
        }
    }
}

/// Limits and timers of an [`Encoder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncoderConfig {
    /// Write a heartbeat comment when nothing has been queued for this long,
    /// so proxies keep the connection open. Default 15 s; `None` disables.
    pub heartbeat_interval: Option<Duration>,
    /// Text of the heartbeat comment (must not contain CR or LF; any CR/LF
    /// splits it into several comment lines). Default empty, giving `:\n`.
    pub heartbeat_comment: &'static str,
    /// Sends are refused with [`EncodeError::WouldBlock`] when they would
    /// leave more than this many bytes waiting to be transmitted; heartbeats
    /// are skipped then (the buffered data keeps the stream alive anyway).
    /// Default 64 KiB.
    pub max_pending_output: usize,
}

impl Default for EncoderConfig {
    fn default() -> Self {
        EncoderConfig {
            heartbeat_interval: Some(Duration::from_secs(15)),
            heartbeat_comment: "",
            max_pending_output: 64 * 1024,
        }
    }
}

/// A sans-IO `text/event-stream` body writer with heartbeats.
///
/// Queue events and comments with the `send_*` methods, write what
/// [`poll_transmit`](Encoder::poll_transmit) returns to the response body and
/// report it with [`advance_transmit`](Encoder::advance_transmit). Drive the
/// heartbeat by sleeping until [`poll_timeout`](Encoder::poll_timeout) and
/// calling [`handle_timeout`](Encoder::handle_timeout).
///
/// Heartbeat rule: time is divided into ticks of `heartbeat_interval`
/// starting at the `now` given to [`Encoder::new`]; at the end of a tick in
/// which nothing was queued, one heartbeat comment is queued. The stream is
/// therefore never silent for two whole intervals.
#[derive(Clone, Debug)]
pub struct Encoder {
    config: EncoderConfig,
    tx: Vec<u8>,
    tx_pos: usize,
    next_tick: Option<Instant>,
    active: bool,
    heartbeats: u64,
}

impl Encoder {
    /// A new encoder; `now` starts the first heartbeat interval.
    pub fn new(config: EncoderConfig, now: Instant) -> Self {
        let next_tick = config.heartbeat_interval.map(|d| now + d);
        Encoder {
            config,
            tx: Vec::new(),
            tx_pos: 0,
            next_tick,
            active: false,
            heartbeats: 0,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    fn available(&self) -> usize {
        self.config
            .max_pending_output
            .saturating_sub(self.pending_len())
    }

    fn reserve(&self, needed: usize) -> Result<(), EncodeError> {
        let available = self.available();
        if needed > available {
            Err(EncodeError::WouldBlock { needed, available })
        } else {
            Ok(())
        }
    }

    /// Queues one event.
    pub fn send_event(&mut self, event: &Event<'_>) -> Result<(), EncodeError> {
        let needed = event.encoded_len()?;
        self.reserve(needed)?;
        self.compact();
        event.encode_into(&mut self.tx)?;
        self.active = true;
        Ok(())
    }

    /// Queues a comment (`: text`); CR/LF in `text` start new comment lines.
    /// Clients ignore comments; they keep intermediaries from timing out.
    pub fn send_comment(&mut self, text: &str) -> Result<(), EncodeError> {
        self.reserve(comment_len(text))?;
        self.compact();
        put_comment(&mut self.tx, text);
        self.active = true;
        Ok(())
    }

    /// Queues a lone `retry:` field (the client's reconnection delay).
    pub fn send_retry(&mut self, retry: Duration) -> Result<(), EncodeError> {
        self.send_event(&Event {
            retry: Some(retry),
            ..Event::default()
        })
    }

    /// Bytes waiting to be written, if any.
    pub fn poll_transmit(&self) -> Option<&[u8]> {
        let p = self.tx.get(self.tx_pos..).unwrap_or(&[]);
        if p.is_empty() {
            None
        } else {
            Some(p)
        }
    }

    /// Marks the first `n` bytes of [`poll_transmit`](Encoder::poll_transmit)
    /// as written (clamped to what is pending).
    pub fn advance_transmit(&mut self, n: usize) {
        self.tx_pos = self.tx_pos.saturating_add(n).min(self.tx.len());
        if self.tx_pos == self.tx.len() {
            self.tx.clear();
            self.tx_pos = 0;
        }
    }

    /// How many bytes wait to be written.
    pub fn pending_len(&self) -> usize {
        self.tx.len().saturating_sub(self.tx_pos)
    }

    /// The instant of the next heartbeat check, or `None` when heartbeats
    /// are disabled.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_tick
    }

    /// Advances the heartbeat timer to `now`, queuing a heartbeat comment if
    /// an interval ended with nothing queued in it.
    pub fn handle_timeout(&mut self, now: Instant) {
        let (Some(tick), Some(interval)) = (self.next_tick, self.config.heartbeat_interval) else {
            return;
        };
        if now < tick {
            return;
        }
        // Only one heartbeat however late we are woken; the next tick is a
        // full interval from now so that a stalled caller does not get a burst.
        let quiet = !self.active;
        self.active = false;
        self.next_tick = Some(now + interval);
        if quiet && comment_len(self.config.heartbeat_comment) <= self.available() {
            self.compact();
            put_comment(&mut self.tx, self.config.heartbeat_comment);
            self.heartbeats = self.heartbeats.saturating_add(1);
        }
    }

    /// Heartbeat comments queued so far.
    pub fn heartbeats_sent(&self) -> u64 {
        self.heartbeats
    }

    /// Drops already-written bytes from the front of the buffer before it
    /// grows, so the buffer never holds more than the pending bytes plus one
    /// item.
    fn compact(&mut self) {
        if self.tx_pos > 0 {
            self.tx.drain(..self.tx_pos);
            self.tx_pos = 0;
        }
    }
}

/// Splits `s` at CR, LF and CRLF; yields every line, including a final
/// empty line after a trailing line end, and one empty line for `""`.
struct Lines<'a> {
    rest: Option<&'a str>,
}

impl<'a> Lines<'a> {
    fn new(s: &'a str) -> Self {
        Lines { rest: Some(s) }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        match s.bytes().position(|b| b == b'\r' || b == b'\n') {
            None => {
                self.rest = None;
                Some(s)
            }
            Some(i) => {
                let line = s.get(..i).unwrap_or("");
                let skip = if s.as_bytes().get(i..i + 2) == Some(b"\r\n") {
                    2
                } else {
                    1
                };
                self.rest = Some(s.get(i + skip..).unwrap_or(""));
                Some(line)
            }
        }
    }
}

fn field_len(name: &[u8], value_len: usize) -> usize {
    // "name" ": " value "\n", or "name:" "\n" when the value is empty.
    let sep = if value_len == 0 { 1 } else { 2 };
    name.len()
        .saturating_add(sep)
        .saturating_add(value_len)
        .saturating_add(1)
}

fn put_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    if value.is_empty() {
        out.push(b':');
    } else {
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
    }
    out.push(b'\n');
}

fn comment_len(text: &str) -> usize {
    Lines::new(text).fold(0usize, |n, line| {
        n.saturating_add(field_len(b"", line.len()))
    })
}

fn put_comment(out: &mut Vec<u8>, text: &str) {
    for line in Lines::new(text) {
        put_field(out, b"", line.as_bytes());
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn decimal_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

fn format_decimal(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        // v % 10 < 10, so the cast cannot truncate.
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

impl viper_core::Transmit for Encoder {
    fn poll_transmit(&mut self) -> Option<&[u8]> {
        Encoder::poll_transmit(self)
    }
    fn advance_transmit(&mut self, n: usize) {
        Encoder::advance_transmit(self, n)
    }
}
