//! Client side: the WHATWG HTML "interpreting an event stream" algorithm.

use alloc::collections::VecDeque;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use viper_core::Duration;

/// A dispatched `MessageEvent`, as a browser's `EventSource` would see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageEvent {
    /// The event type: the last `event:` value, or `message` when it was
    /// absent or empty.
    pub event_type: String,
    /// The `data:` lines joined with LF.
    pub data: String,
    /// The last event ID string at dispatch (kept across events).
    pub last_event_id: String,
}

/// What the parser hands out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// An event was dispatched (a blank line ended a non-empty data buffer).
    Message(MessageEvent),
    /// A valid `retry:` field set the reconnection time. Valid means a
    /// non-empty value of ASCII digits only (no sign, no spaces beyond the
    /// one after the colon); values too large for `u64` milliseconds
    /// saturate.
    Retry(Duration),
}

/// Limits of a [`Parser`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParserConfig {
    /// Longest line, in bytes, excluding its line end. Longer →
    /// [`ParseError::LineTooLong`]. Default 64 KiB.
    pub max_line_len: usize,
    /// Largest event: bytes in the data buffer plus the event type buffer.
    /// Larger → [`ParseError::EventTooLarge`]. Default 256 KiB.
    pub max_event_size: usize,
    /// [`Parser::receive`] stops consuming input while this many events
    /// wait to be taken with [`Parser::poll_event`]. Default 4 (minimum 1).
    pub max_queued_events: usize,
}

impl Default for ParserConfig {
    fn default() -> Self {
        ParserConfig {
            max_line_len: 64 * 1024,
            max_event_size: 256 * 1024,
            max_queued_events: 4,
        }
    }
}

/// A limit of [`ParserConfig`] was exceeded. The parser stays failed (every
/// later [`Parser::receive`] returns the same error); a client should close
/// the connection, as a browser does when a stream cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// A line was longer than [`ParserConfig::max_line_len`].
    LineTooLong,
    /// An event grew beyond [`ParserConfig::max_event_size`].
    EventTooLarge,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::LineTooLong => f.write_str("SSE line exceeds the configured limit"),
            ParseError::EventTooLarge => f.write_str("SSE event exceeds the configured limit"),
        }
    }
}

/// A sans-IO `text/event-stream` parser.
///
/// Feed body bytes in any chunking with [`receive`](Parser::receive), take
/// events with [`poll_event`](Parser::poll_event), and call
/// [`finish`](Parser::finish) at end of stream (which discards an event not
/// yet ended by a blank line, as the specification requires).
#[derive(Clone, Debug)]
pub struct Parser {
    config: ParserConfig,
    /// Bytes of the current, unterminated line.
    line: Vec<u8>,
    /// The previous chunk ended with CR: an LF at the start of the next one
    /// belongs to the same line end.
    after_cr: bool,
    /// Still at the very start of the stream (for the BOM).
    at_start: bool,
    data: String,
    event_type: String,
    /// The "last event ID buffer".
    id_buffer: String,
    /// The "last event ID string" (set from the buffer at each dispatch).
    last_event_id: String,
    reconnection_time: Option<Duration>,
    events: VecDeque<ClientEvent>,
    failed: Option<ParseError>,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new(ParserConfig::default())
    }
}

impl Parser {
    /// A parser at the start of a stream.
    pub fn new(config: ParserConfig) -> Self {
        Parser {
            config,
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            data: String::new(),
            event_type: String::new(),
            id_buffer: String::new(),
            last_event_id: String::new(),
            reconnection_time: None,
            events: VecDeque::new(),
            failed: None,
        }
    }

    /// A parser for a reconnection: the last event ID string starts as
    /// `last_event_id` (what the client sent in `Last-Event-ID`).
    ///
    /// As the specification says, the stream's own last event ID buffer
    /// still starts empty, so the first dispatch on the new stream replaces
    /// this value unless the stream sent an `id:` first.
    pub fn with_last_event_id(config: ParserConfig, last_event_id: &str) -> Self {
        let mut p = Parser::new(config);
        p.last_event_id = last_event_id.to_string();
        p
    }

    /// The configuration in use.
    pub fn config(&self) -> &ParserConfig {
        &self.config
    }

    /// The last event ID string: what a client sends as `Last-Event-ID` when
    /// it reconnects. Updated when an event is dispatched.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The reconnection time from the last valid `retry:` field, if any.
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.reconnection_time
    }

    /// Consumes stream bytes, returning how many were used.
    ///
    /// Fewer than `data.len()` are used only when
    /// [`ParserConfig::max_queued_events`] events are waiting: take them with
    /// [`poll_event`](Parser::poll_event) and pass the rest again.
    pub fn receive(&mut self, data: &[u8]) -> Result<usize, ParseError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let mut pos = 0;
        while pos < data.len() {
            if self.events.len() >= self.config.max_queued_events.max(1) {
                break;
            }
            let rest = data.get(pos..).unwrap_or(&[]);
            if self.after_cr {
                self.after_cr = false;
                if rest.first() == Some(&b'\n') {
                    pos += 1;
                    continue;
                }
            }
            match rest.iter().position(|&b| b == b'\r' || b == b'\n') {
                None => {
                    if let Err(e) = self.push_line_bytes(rest) {
                        return Err(self.fail(e));
                    }
                    pos = data.len();
                }
                Some(i) => {
                    let (part, tail) = rest.split_at(i);
                    // Fast path: a whole line inside this chunk is processed
                    // in place instead of being copied to the line buffer.
                    let direct = self.line.is_empty() && !self.at_start;
                    if !direct {
                        if let Err(e) = self.push_line_bytes(part) {
                            return Err(self.fail(e));
                        }
                    }
                    pos += i + 1;
                    if tail.first() == Some(&b'\r') {
                        if tail.get(1) == Some(&b'\n') {
                            pos += 1;
                        } else if tail.len() == 1 {
                            // CR at the end of this chunk: an LF may follow.
                            self.after_cr = true;
                        }
                    }
                    let r = if direct {
                        self.whole_line(part)
                    } else {
                        self.end_line()
                    };
                    if let Err(e) = r {
                        return Err(self.fail(e));
                    }
                }
            }
        }
        Ok(pos)
    }

    /// End of stream, under the name every Viper protocol type uses: the same as
    /// [`finish`](Parser::finish).
    pub fn receive_eof(&mut self) {
        self.finish()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// End of stream: the unterminated last line and an event not yet
    /// dispatched are discarded. Queued events stay available; the parser
    /// is ready for a new stream (a reconnection) that keeps the last event
    /// ID string and reconnection time, with fresh (empty) buffers as the
    /// specification requires for every stream.
    pub fn finish(&mut self) {
        self.line.clear();
        self.data.clear();
        self.event_type.clear();
        self.after_cr = false;
        self.at_start = true;
        self.id_buffer.clear();
        self.failed = None;
    }

    fn fail(&mut self, e: ParseError) -> ParseError {
        self.failed = Some(e);
        e
    }

    fn push_line_bytes(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        if self.line.len().saturating_add(bytes.len())
            > self
                .config
                .max_line_len
                .saturating_add(bom_allowance(self.at_start))
        {
            return Err(ParseError::LineTooLong);
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), ParseError> {
        let mut line = core::mem::take(&mut self.line);
        let mut start = 0;
        if self.at_start {
            self.at_start = false;
            if line.starts_with(BOM) {
                start = BOM.len();
            }
        }
        let bytes = line.get(start..).unwrap_or(&[]);
        let r = if bytes.len() > self.config.max_line_len {
            Err(ParseError::LineTooLong)
        } else {
            self.process_line(bytes)
        };
        line.clear();
        self.line = line;
        r
    }

    fn whole_line(&mut self, line: &[u8]) -> Result<(), ParseError> {
        if line.len() > self.config.max_line_len {
            return Err(ParseError::LineTooLong);
        }
        self.process_line(line)
    }

    fn process_line(&mut self, line: &[u8]) -> Result<(), ParseError> {
        if line.is_empty() {
            self.dispatch();
            return Ok(());
        }
        if line.first() == Some(&b':') {
            return Ok(());
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let (f, v) = line.split_at(i);
                let mut v = v.get(1..).unwrap_or(&[]);
                if v.first() == Some(&b' ') {
                    v = v.get(1..).unwrap_or(&[]);
                }
                (f, v)
            }
            None => (line, &[][..]),
        };
        // Field names are compared as decoded text; an invalid byte in a name
        // decodes to U+FFFD, so it can never equal one of the four names and
        // comparing bytes is equivalent.
        match field {
            b"event" => {
                let value = decode(value);
                let size = self.data.len().saturating_add(value.len());
                if size > self.config.max_event_size {
                    return Err(ParseError::EventTooLarge);
                }
                self.event_type.clear();
                self.event_type.push_str(&value);
            }
            b"data" => {
                let value = decode(value);
                let size = self
                    .data
                    .len()
                    .saturating_add(value.len())
                    .saturating_add(1)
                    .saturating_add(self.event_type.len());
                if size > self.config.max_event_size {
                    return Err(ParseError::EventTooLarge);
                }
                self.data.push_str(&value);
                self.data.push('\n');
            }
            // An id containing NUL is ignored.
            b"id" if !value.contains(&0) => {
                self.id_buffer.clear();
                self.id_buffer.push_str(&decode(value));
            }
            // Only a value of ASCII digits sets the reconnection time.
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |acc, &d| {
                    acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                let d = Duration::from_millis(ms);
                self.reconnection_time = Some(d);
                self.events.push_back(ClientEvent::Retry(d));
            }
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self) {
        self.last_event_id.clone_from(&self.id_buffer);
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        if self.data.ends_with('\n') {
            self.data.pop();
        }
        let event_type = if self.event_type.is_empty() {
            String::from("message")
        } else {
            core::mem::take(&mut self.event_type)
        };
        // The next event is likely the same size: one allocation, no regrowth
        // (capped so one huge event does not pin memory).
        let next = String::with_capacity(self.data.len().saturating_add(1).min(4096));
        let data = core::mem::replace(&mut self.data, next);
        self.event_type.clear();
        self.events.push_back(ClientEvent::Message(MessageEvent {
            event_type,
            data,
            last_event_id: self.last_event_id.clone(),
        }));
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn bom_allowance(at_start: bool) -> usize {
    if at_start {
        BOM.len()
    } else {
        0
    }
}

/// UTF-8 decoding with replacement (maximal subparts → U+FFFD, the same rule
/// as the WHATWG UTF-8 decoder).
fn decode(bytes: &[u8]) -> alloc::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}
