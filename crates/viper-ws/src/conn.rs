//! The WebSocket connection state machine (RFC 6455 §5–§7), both roles.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use viper_core::{Duration, Instant};

use crate::deflate::{Compressor, Decompressor, DeflateParams, InflateError};
use crate::error::{CloseCode, Error, SendError};
use crate::mask::{apply_mask, extend_maybe_masked};
use crate::utf8::Utf8Validator;
use crate::Negotiated;

/// Which end of the connection this is; it decides the masking rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Accepted the connection; receives masked frames, sends unmasked ones.
    Server,
    /// Opened the connection; sends masked frames, receives unmasked ones.
    Client,
}

/// Limits and timers of a connection. Every field has a safe default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Largest frame payload accepted; larger → close 1009. Default 1 MiB.
    pub max_frame_size: usize,
    /// Largest message (after reassembly and decompression); larger → close
    /// 1009. Default 4 MiB.
    pub max_message_size: usize,
    /// Answer pings with pongs automatically. Default `true`.
    pub auto_pong: bool,
    /// Send a keep-alive ping this often. Default `None` (off).
    pub ping_interval: Option<Duration>,
    /// Give up (with [`Error::PongTimeout`]) if no pong arrives this long
    /// after a keep-alive ping. Default 30 s.
    pub pong_timeout: Duration,
    /// Give up (with [`Error::CloseTimeout`]) if the peer does not answer our
    /// close frame in this time. Default 10 s.
    pub close_timeout: Duration,
    /// `receive` stops consuming input while this many events wait in the
    /// queue. Default 64.
    pub max_queued_events: usize,
    /// `send_*` refuses with [`SendError::WouldBlock`] while more than this
    /// many bytes wait to be transmitted, and automatic pongs are skipped.
    /// Default 4 MiB.
    pub max_pending_output: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_frame_size: 1 << 20,
            max_message_size: 4 << 20,
            auto_pong: true,
            ping_interval: None,
            pong_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(10),
            max_queued_events: 64,
            max_pending_output: 4 << 20,
        }
    }
}

/// The lifecycle of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// We sent a close frame and wait for the peer's; incoming data is dropped.
    Closing,
    /// The close handshake finished or the connection failed: flush
    /// `poll_transmit`, then close the TCP connection.
    Closed,
}

/// Kind of a data message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKind {
    /// UTF-8 text (opcode 1).
    Text,
    /// Arbitrary bytes (opcode 2).
    Binary,
}

/// Something that happened on the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A complete text message (validated UTF-8).
    Text(String),
    /// A complete binary message.
    Binary(Vec<u8>),
    /// A ping (already answered if `Config::auto_pong`).
    Ping(Vec<u8>),
    /// A pong.
    Pong(Vec<u8>),
    /// The peer's close frame. If we had not sent one, it has been echoed and
    /// the connection is now [`State::Closed`].
    Close {
        /// The peer's code, or 1005 if the frame had none.
        code: CloseCode,
        /// The peer's reason (validated UTF-8, possibly empty).
        reason: String,
    },
    /// The connection failed; a close frame with [`Error::close_code`] was
    /// queued (when one can be sent) and the state is [`State::Closed`].
    Error(Error),
}

/// A data message handed out by [`WebSocket::receive_in_place`], borrowed
/// from the caller's input buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageRef<'a> {
    /// A complete text message (validated UTF-8).
    Text(&'a str),
    /// A complete binary message.
    Binary(&'a [u8]),
}

impl<'a> MessageRef<'a> {
    /// Text or binary.
    pub fn kind(&self) -> DataKind {
        match self {
            MessageRef::Text(_) => DataKind::Text,
            MessageRef::Binary(_) => DataKind::Binary,
        }
    }

    /// The payload bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        match *self {
            MessageRef::Text(t) => t.as_bytes(),
            MessageRef::Binary(b) => b,
        }
    }

    /// The same message as an owned [`Event`] (copies the payload), i.e.
    /// exactly what [`WebSocket::receive`] would have queued.
    pub fn to_event(&self) -> Event {
        match *self {
            MessageRef::Text(t) => Event::Text(String::from(t)),
            MessageRef::Binary(b) => Event::Binary(b.to_vec()),
        }
    }
}

/// What `receive_in_place` can do with the frame at the start of a buffer.
#[derive(Clone, Copy, Debug)]
enum InPlace {
    /// Hand it out borrowed: it is whole.
    Whole(WholeFrame),
    /// Hand it out borrowed once this many bytes are present.
    Need(usize),
    /// Not a frame that comes out borrowed.
    No,
}

/// Where the payload of a whole data frame lies in the input.
#[derive(Clone, Copy, Debug)]
struct WholeFrame {
    kind: DataKind,
    header: usize,
    len: usize,
    mask: Option<[u8; 4]>,
}

const OP_CONT: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// Header of the frame being received.
#[derive(Clone, Copy, Debug)]
struct FrameHead {
    fin: bool,
    opcode: u8,
    mask: Option<[u8; 4]>,
    len: u64,
}

/// A message being reassembled.
#[derive(Debug)]
struct InMessage {
    kind: DataKind,
    compressed: bool,
    utf8: Utf8Validator,
}

/// Where the payload of the current frame goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sink {
    Control,
    Data,
    Discard,
}

/// Small deterministic generator for client masking keys (SplitMix64),
/// seeded by the caller from a real entropy source.
#[derive(Clone, Copy, Debug)]
struct MaskGen(u64);

impl MaskGen {
    fn next(&mut self) -> [u8; 4] {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z as u32).to_le_bytes()
    }
}

/// A WebSocket connection, client or server, after the opening handshake.
///
/// Feed it bytes with [`receive`](Self::receive), take events with
/// [`poll_event`](Self::poll_event), queue messages with the `send_*`
/// methods, write what [`poll_transmit`](Self::poll_transmit) returns to the
/// socket, and drive timers with [`poll_timeout`](Self::poll_timeout) and
/// [`handle_timeout`](Self::handle_timeout).
#[derive(Debug)]
pub struct WebSocket {
    role: Role,
    config: Config,
    state: State,
    close_sent: bool,
    // ---- receive side
    hdr: [u8; 14],
    hdr_len: u8,
    frame: Option<FrameHead>,
    sink: Sink,
    frame_pos: u64,
    ctrl: Vec<u8>,
    msg: Option<InMessage>,
    msg_buf: Vec<u8>,
    scratch: Vec<u8>,
    events: VecDeque<Event>,
    backlog: Vec<u8>,
    // ---- send side
    tx: Vec<u8>,
    tx_pos: usize,
    send_msg: Option<(DataKind, bool)>,
    send_utf8: Utf8Validator,
    mask_gen: MaskGen,
    // ---- permessage-deflate
    deflate: Option<DeflateParams>,
    compressor: Option<Compressor>,
    decompressor: Option<Decompressor>,
    // ---- timers
    last_now: Instant,
    next_ping: Option<Instant>,
    pong_deadline: Option<Instant>,
    close_deadline: Option<Instant>,
    ping_counter: u32,
}

impl WebSocket {
    /// A server-side connection with the parameters from
    /// [`crate::handshake::Accept`].
    pub fn server(config: Config, negotiated: &Negotiated) -> Self {
        Self::new(Role::Server, config, negotiated, 0)
    }

    /// A client-side connection with the parameters returned by
    /// [`crate::handshake::ClientHandshake::validate_response`].
    ///
    /// `mask_seed` seeds the generator of masking keys; take it from a real
    /// entropy source (RFC 6455 §10.3 wants keys the application cannot predict).
    pub fn client(config: Config, negotiated: &Negotiated, mask_seed: u64) -> Self {
        Self::new(Role::Client, config, negotiated, mask_seed)
    }

    /// A connection in `role` that has already received `received` (the
    /// bytes that followed the HTTP head in the same read). This is the
    /// constructor an HTTP/1.1 server calls on its `Upgrade` event.
    pub fn with_received(
        role: Role,
        config: Config,
        negotiated: &Negotiated,
        mask_seed: u64,
        received: &[u8],
    ) -> Self {
        let mut ws = Self::new(role, config, negotiated, mask_seed);
        let n = ws.receive(received);
        ws.backlog.extend_from_slice(&received[n..]);
        ws
    }

    fn new(role: Role, config: Config, negotiated: &Negotiated, mask_seed: u64) -> Self {
        WebSocket {
            role,
            config,
            state: State::Open,
            close_sent: false,
            hdr: [0; 14],
            hdr_len: 0,
            frame: None,
            sink: Sink::Discard,
            frame_pos: 0,
            ctrl: Vec::new(),
            msg: None,
            msg_buf: Vec::new(),
            scratch: Vec::new(),
            events: VecDeque::new(),
            backlog: Vec::new(),
            tx: Vec::new(),
            tx_pos: 0,
            send_msg: None,
            send_utf8: Utf8Validator::new(),
            mask_gen: MaskGen(mask_seed),
            deflate: negotiated.deflate,
            compressor: None,
            decompressor: None,
            last_now: Instant::ZERO,
            next_ping: None,
            pong_deadline: None,
            close_deadline: None,
            ping_counter: 0,
        }
    }

    /// This connection's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The connection's state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether permessage-deflate is in use.
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.deflate.as_ref()
    }

    // ------------------------------------------------------------------ receive

    /// Feeds bytes read from the socket; returns how many were consumed.
    ///
    /// Fewer than `data.len()` are consumed only while
    /// `Config::max_queued_events` events wait in the queue: call
    /// [`poll_event`](Self::poll_event), then offer the rest again. Once the
    /// connection is [`State::Closed`] all input is consumed and ignored.
    ///
    /// Payload bytes are copied (and unmasked, and validated as UTF-8 for
    /// text) straight from `data` into the message being assembled; nothing is
    /// staged in an intermediate buffer.
    pub fn receive(&mut self, data: &[u8]) -> usize {
        let mut pos = 0;
        while pos < data.len() {
            if self.state == State::Closed {
                return data.len();
            }
            if self.events.len() >= self.config.max_queued_events {
                break;
            }
            pos += self.receive_step(&data[pos..]);
        }
        pos
    }

    /// Feeds bytes read from the socket like [`receive`](Self::receive), but
    /// hands out a data message that lies whole in `data` as a slice of
    /// `data` itself: no copy, no allocation.
    ///
    /// Returns how many bytes were consumed and, possibly, one borrowed
    /// message. The call stops right after the first complete, unfragmented,
    /// uncompressed text or binary frame found in `data` and returns it as a
    /// [`MessageRef`], after unmasking its payload in place (a machine word
    /// at a time) and, for text, validating it as UTF-8. Everything else —
    /// control frames, fragmented messages, frames split across calls,
    /// permessage-deflate messages, the closing state — goes through the
    /// same machinery as [`receive`](Self::receive) and is reported by
    /// [`poll_event`](Self::poll_event), with the same close codes, limits,
    /// automatic pongs and state changes.
    ///
    /// The caller keeps events in order with this loop: handle the returned
    /// message (if any), drain [`poll_event`](Self::poll_event), and offer
    /// `data[consumed..]` again until it is empty. A message is only returned
    /// when no event is queued (the call stops in front of it otherwise), so
    /// it always comes after every event already reported. As with `receive`,
    /// fewer bytes are consumed while events wait in the queue; once the
    /// connection is [`State::Closed`] all input is consumed and ignored.
    ///
    /// A call that has consumed something also stops in front of a text or
    /// binary frame cut by the end of `data` that would come out borrowed
    /// once whole, so that a caller reading into its own buffer can keep
    /// those bytes and read more (see
    /// [`in_place_frame_len`](Self::in_place_frame_len)); offered again as
    /// they are, they are taken in through the copying path.
    ///
    /// Bytes of a returned frame's payload are modified (unmasked) in place;
    /// bytes of other frames are left as they were. The message borrows
    /// `data`, not the connection, so `send_*` may be called while holding it
    /// (an echo server needs no copy).
    ///
    /// ```
    /// use viper_ws::{Config, MessageRef, Negotiated, WebSocket};
    ///
    /// let mut server = WebSocket::server(Config::default(), &Negotiated::default());
    /// // A masked "Hello" from a client (RFC 6455 §5.7), then a ping.
    /// let mut input = [
    ///     0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ///     0x89, 0x80, 1, 2, 3, 4,
    /// ];
    /// let mut rest = &mut input[..];
    /// while !rest.is_empty() {
    ///     let (used, msg) = server.receive_in_place(rest);
    ///     if let Some(MessageRef::Text(t)) = msg {
    ///         assert_eq!(t, "Hello");
    ///         server.send_text(t).unwrap(); // echoed straight from the input buffer
    ///     }
    ///     while let Some(ev) = server.poll_event() {
    ///         println!("{ev:?}"); // the ping (already answered)
    ///     }
    ///     rest = &mut rest[used..];
    /// }
    /// ```
    pub fn receive_in_place<'a>(&mut self, data: &'a mut [u8]) -> (usize, Option<MessageRef<'a>>) {
        let total = data.len();
        let mut pos = 0;
        while pos < total {
            if self.state == State::Closed {
                return (total, None);
            }
            if self.events.len() >= self.config.max_queued_events {
                break;
            }
            let f = match self.classify(&data[pos..]) {
                InPlace::Whole(f) => f,
                // A frame cut by the end of `data` that would come out
                // borrowed once whole: stop in front of it, so a caller that
                // reads into its own buffer can keep it for the next read
                // (see `in_place_frame_len`). Offered again on its own, it
                // is taken in through the general path.
                InPlace::Need(_) if pos > 0 => break,
                InPlace::Need(_) | InPlace::No => {
                    pos += self.receive_step(&data[pos..]);
                    continue;
                }
            };
            if !self.events.is_empty() {
                // Let the caller see what came first.
                break;
            }
            let start = pos + f.header;
            let end = start + f.len;
            let payload = &mut data[start..end];
            if let Some(k) = f.mask {
                apply_mask(payload, k, 0);
            }
            let payload: &'a [u8] = payload;
            return match f.kind {
                DataKind::Binary => (end, Some(MessageRef::Binary(payload))),
                DataKind::Text => match core::str::from_utf8(payload) {
                    Ok(t) => (end, Some(MessageRef::Text(t))),
                    Err(_) => {
                        // What `receive` does with the same frame.
                        self.fail(Error::InvalidUtf8);
                        (total, None)
                    }
                },
            };
        }
        (pos, None)
    }

    /// For callers that read into a buffer of their own: whether the frame
    /// `data` starts with would come out of
    /// [`receive_in_place`](Self::receive_in_place) borrowed, and how many
    /// bytes it needs for that.
    ///
    /// `Some(n)`: it is (or, as far as its first bytes tell, may be) a text or
    /// binary frame that comes out borrowed once the first `n` bytes of it
    /// are in `data`. If `n > data.len()`, the caller can keep `data` (moved
    /// to the front of its buffer, if `n` fits there), read more and ask
    /// again — `n` becomes the whole frame's length once its header is
    /// complete — instead of letting `receive_in_place` take the start of
    /// the frame in through the copying path. `None`: it will not come out
    /// borrowed (a control frame, a fragment, a compressed message, a frame
    /// over a limit or invalid, or the connection is inside a frame or not
    /// open), so just offer `data` to `receive_in_place`.
    ///
    /// ```
    /// use viper_ws::{Config, Negotiated, WebSocket};
    ///
    /// let ws = WebSocket::server(Config::default(), &Negotiated::default());
    /// let frame = [0x82, 0x83, 1, 2, 3, 4, 0xa, 0xb, 0xc]; // masked, 3-byte payload
    /// assert_eq!(ws.in_place_frame_len(&frame[..1]), Some(2)); // need the length byte
    /// assert_eq!(ws.in_place_frame_len(&frame[..2]), Some(6)); // then the masking key
    /// assert_eq!(ws.in_place_frame_len(&frame[..6]), Some(9)); // then the payload
    /// assert_eq!(ws.in_place_frame_len(&frame), Some(9)); // whole
    /// assert_eq!(ws.in_place_frame_len(&[0x89, 0x80]), None); // a ping
    /// ```
    pub fn in_place_frame_len(&self, data: &[u8]) -> Option<usize> {
        match self.classify(data) {
            InPlace::Whole(f) => Some(f.header + f.len),
            InPlace::Need(n) => Some(n),
            InPlace::No => None,
        }
    }

    /// Whether `buf` starts with a frame that `receive_in_place` may hand
    /// out borrowed: final, no RSV bit, text or binary, masked as the role
    /// requires, minimal length within both limits, no message in progress,
    /// state open. Anything else is left to the general path, which reports
    /// the errors.
    fn classify(&self, buf: &[u8]) -> InPlace {
        if self.frame.is_some()
            || self.hdr_len != 0
            || self.msg.is_some()
            || self.state != State::Open
        {
            return InPlace::No;
        }
        let kind = match buf.first() {
            None => return InPlace::Need(2),
            Some(0x81) => DataKind::Text,
            Some(0x82) => DataKind::Binary,
            Some(_) => return InPlace::No,
        };
        let Some(&b1) = buf.get(1) else {
            return InPlace::Need(2);
        };
        let masked = b1 & 0x80 != 0;
        if masked != (self.role == Role::Server) {
            return InPlace::No;
        }
        let header = header_len(b1);
        if buf.len() < header {
            return InPlace::Need(header);
        }
        // A bad length is reported by the general path.
        let Ok(head) = parse_head(buf) else {
            return InPlace::No;
        };
        let Ok(len) = usize::try_from(head.len) else {
            return InPlace::No;
        };
        if len > self.config.max_frame_size || len > self.config.max_message_size {
            return InPlace::No;
        }
        // Cannot overflow: `len` is within a limit that is a `usize`, but
        // stay total anyway.
        let Some(total) = header.checked_add(len) else {
            return InPlace::No;
        };
        if buf.len() < total {
            return InPlace::Need(total);
        }
        InPlace::Whole(WholeFrame {
            kind,
            header,
            len,
            mask: head.mask,
        })
    }

    /// One step of the general receive path: (part of) a header, or (part
    /// of) the current frame's payload. Returns the bytes used.
    fn receive_step(&mut self, data: &[u8]) -> usize {
        match self.frame {
            None => self.read_header(data),
            Some(head) => {
                let left = head.len - self.frame_pos;
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                self.payload(head, &data[..take]);
                if self.frame.is_some() && self.frame_pos == head.len {
                    self.end_frame(head);
                }
                take
            }
        }
    }

    /// Accumulates header bytes; on a complete header validates it.
    fn read_header(&mut self, data: &[u8]) -> usize {
        // Fast path: the whole header is at the start of `data`.
        if self.hdr_len == 0 && data.len() >= 2 {
            let need = header_len(data[1]);
            if data.len() >= need {
                self.hdr[..need].copy_from_slice(&data[..need]);
                if let Err(e) = self.check_first_bytes().and_then(|()| self.start_frame()) {
                    self.fail(e);
                    return data.len();
                }
                return need;
            }
        }
        let mut used = 0;
        loop {
            let have = usize::from(self.hdr_len);
            let need = if have < 2 { 2 } else { header_len(self.hdr[1]) };
            if have == need {
                break;
            }
            let avail = data.len() - used;
            if avail == 0 {
                return used;
            }
            let take = (need - have).min(avail);
            self.hdr[have..have + take].copy_from_slice(&data[used..used + take]);
            self.hdr_len += take as u8;
            used += take;
            if have + take < need {
                return used;
            }
            if have + take == 2 {
                // First two bytes complete: reject early, before the length.
                if let Err(e) = self.check_first_bytes() {
                    self.fail(e);
                    return data.len();
                }
            }
        }
        self.hdr_len = 0;
        match self.start_frame() {
            Ok(()) => {}
            Err(e) => {
                self.fail(e);
                return data.len();
            }
        }
        used
    }

    fn check_first_bytes(&self) -> Result<(), Error> {
        let b0 = self.hdr[0];
        let b1 = self.hdr[1];
        let opcode = b0 & 0x0f;
        let fin = b0 & 0x80 != 0;
        let rsv1 = b0 & 0x40 != 0;
        if b0 & 0x30 != 0 {
            return Err(Error::ReservedBits);
        }
        if matches!(opcode, 3..=7 | 11..=15) {
            return Err(Error::ReservedOpcode(opcode));
        }
        let control = opcode >= 8;
        if rsv1 && (self.deflate.is_none() || control || opcode == OP_CONT) {
            return Err(Error::ReservedBits);
        }
        if control {
            if !fin {
                return Err(Error::FragmentedControlFrame);
            }
            if b1 & 0x7f > 125 {
                return Err(Error::ControlFrameTooLong);
            }
        }
        let masked = b1 & 0x80 != 0;
        match self.role {
            Role::Server if !masked => return Err(Error::UnmaskedFrame),
            Role::Client if masked => return Err(Error::MaskedFrame),
            _ => {}
        }
        Ok(())
    }

    fn start_frame(&mut self) -> Result<(), Error> {
        let rsv1 = self.hdr[0] & 0x40 != 0;
        let head = parse_head(&self.hdr)?;
        let (opcode, len) = (head.opcode, head.len);
        let too_big = |n: u64, max: usize| usize::try_from(n).map_or(true, |n| n > max);
        if opcode >= 8 {
            self.sink = Sink::Control;
            self.ctrl.clear();
        } else {
            if too_big(len, self.config.max_frame_size) {
                return Err(Error::FrameTooLarge);
            }
            match (opcode, &self.msg) {
                (OP_CONT, None) => return Err(Error::UnexpectedContinuation),
                (OP_TEXT | OP_BINARY, Some(_)) => return Err(Error::ExpectedContinuation),
                _ => {}
            }
            if self.state == State::Closing {
                // §7.1.4 closing: data is dropped, frames still parsed.
                self.sink = Sink::Discard;
            } else {
                if opcode != OP_CONT {
                    self.msg_buf.clear();
                    self.msg = Some(InMessage {
                        kind: if opcode == OP_TEXT {
                            DataKind::Text
                        } else {
                            DataKind::Binary
                        },
                        compressed: rsv1,
                        utf8: Utf8Validator::new(),
                    });
                }
                let compressed = self.msg.as_ref().is_some_and(|m| m.compressed);
                if !compressed {
                    let total = (self.msg_buf.len() as u64).saturating_add(len);
                    if too_big(total, self.config.max_message_size) {
                        return Err(Error::MessageTooLarge);
                    }
                    // One reservation for the whole frame, bounded by the checks above.
                    self.msg_buf.reserve(len as usize);
                }
                self.sink = Sink::Data;
            }
            if self.state == State::Closing && opcode != OP_CONT {
                // Track fragmentation state even while discarding.
                self.msg = Some(InMessage {
                    kind: DataKind::Binary,
                    compressed: false,
                    utf8: Utf8Validator::new(),
                });
            }
        }
        self.frame = Some(head);
        self.frame_pos = 0;
        if len == 0 {
            self.end_frame(head);
        }
        Ok(())
    }

    fn payload(&mut self, head: FrameHead, chunk: &[u8]) {
        let off = self.frame_pos as usize;
        self.frame_pos += chunk.len() as u64;
        match self.sink {
            Sink::Discard => {}
            Sink::Control => extend_maybe_masked(&mut self.ctrl, chunk, head.mask, off),
            Sink::Data => {
                let Some((kind, compressed)) = self.msg.as_ref().map(|m| (m.kind, m.compressed))
                else {
                    return;
                };
                let start = self.msg_buf.len();
                if compressed {
                    self.scratch.clear();
                    extend_maybe_masked(&mut self.scratch, chunk, head.mask, off);
                    let limit = self.config.max_message_size;
                    self.ensure_decompressor();
                    if let Some(d) = self.decompressor.as_mut() {
                        if let Err(e) = d.inflate(&self.scratch, &mut self.msg_buf, limit) {
                            return self.fail(inflate_error(e));
                        }
                    }
                } else {
                    extend_maybe_masked(&mut self.msg_buf, chunk, head.mask, off);
                }
                // A whole uncompressed text message in this one chunk is
                // validated once, by `end_frame` building its `String`, which
                // happens before this `receive` returns: the same moment the
                // incremental check would fail.
                let whole = !compressed && start == 0 && head.fin && self.frame_pos == head.len;
                if kind == DataKind::Text && !whole {
                    let ok = match self.msg.as_mut() {
                        Some(m) => m.utf8.feed(&self.msg_buf[start..]),
                        None => true,
                    };
                    if !ok {
                        self.fail(Error::InvalidUtf8);
                    }
                }
            }
        }
    }

    fn ensure_decompressor(&mut self) {
        if self.decompressor.is_none() {
            let p = self.deflate.unwrap_or_else(unreachable_params);
            let no_ctx = match self.role {
                Role::Server => p.client_no_context_takeover,
                Role::Client => p.server_no_context_takeover,
            };
            self.decompressor = Some(Decompressor::new(no_ctx));
        }
    }

    fn end_frame(&mut self, head: FrameHead) {
        self.frame = None;
        if self.state == State::Closed {
            return;
        }
        match head.opcode {
            OP_PING => {
                let data = core::mem::take(&mut self.ctrl);
                if self.config.auto_pong
                    && self.state == State::Open
                    && self.pending_len() <= self.config.max_pending_output
                {
                    self.write_frame(OP_PONG, true, false, &data);
                }
                self.events.push_back(Event::Ping(data));
            }
            OP_PONG => {
                self.pong_deadline = None;
                let data = core::mem::take(&mut self.ctrl);
                self.events.push_back(Event::Pong(data));
            }
            OP_CLOSE => self.on_close(),
            _ => {
                if !head.fin {
                    return;
                }
                let Some(msg) = self.msg.take() else {
                    return;
                };
                if self.sink == Sink::Discard {
                    return;
                }
                let mut utf8 = msg.utf8;
                if msg.compressed {
                    let start = self.msg_buf.len();
                    let limit = self.config.max_message_size;
                    self.ensure_decompressor();
                    if let Some(d) = self.decompressor.as_mut() {
                        if let Err(e) = d.finish_message(&mut self.msg_buf, limit) {
                            return self.fail(inflate_error(e));
                        }
                    }
                    if msg.kind == DataKind::Text && !utf8.feed(&self.msg_buf[start..]) {
                        return self.fail(Error::InvalidUtf8);
                    }
                }
                let data = core::mem::take(&mut self.msg_buf);
                match msg.kind {
                    DataKind::Binary => self.events.push_back(Event::Binary(data)),
                    DataKind::Text => {
                        if !utf8.is_complete() {
                            self.fail(Error::InvalidUtf8);
                            return;
                        }
                        match String::from_utf8(data) {
                            Ok(s) => self.events.push_back(Event::Text(s)),
                            Err(_) => self.fail(Error::InvalidUtf8),
                        }
                    }
                }
            }
        }
    }

    fn on_close(&mut self) {
        let p = core::mem::take(&mut self.ctrl);
        let (code, reason) = match p.len() {
            0 => (CloseCode::NO_STATUS, String::new()),
            1 => return self.fail(Error::InvalidClosePayload),
            _ => {
                let code = CloseCode(u16::from_be_bytes([p[0], p[1]]));
                if !code.is_valid_on_wire() {
                    return self.fail(Error::InvalidCloseCode(code.0));
                }
                match core::str::from_utf8(&p[2..]) {
                    Ok(r) => (code, String::from(r)),
                    Err(_) => return self.fail(Error::InvalidUtf8),
                }
            }
        };
        if !self.close_sent {
            // §5.5.1: echo the status code.
            let payload = code.0.to_be_bytes();
            let body: &[u8] = if code == CloseCode::NO_STATUS {
                &[]
            } else {
                &payload
            };
            self.write_frame(OP_CLOSE, true, false, body);
            self.close_sent = true;
        }
        self.msg = None;
        self.msg_buf = Vec::new();
        self.state = State::Closed;
        self.clear_timers();
        self.events.push_back(Event::Close { code, reason });
    }

    /// _Fail the WebSocket Connection_ (§7.1.7): send a close frame with the
    /// error's code (unless one was sent already), report, stop.
    fn fail(&mut self, e: Error) {
        if self.state == State::Closed {
            return;
        }
        if !self.close_sent {
            if let Some(code) = e.close_code() {
                self.write_frame(OP_CLOSE, true, false, &code.0.to_be_bytes());
                self.close_sent = true;
            }
        }
        self.state = State::Closed;
        self.frame = None;
        self.msg = None;
        self.msg_buf = Vec::new();
        self.clear_timers();
        self.events.push_back(Event::Error(e));
    }

    fn clear_timers(&mut self) {
        self.next_ping = None;
        self.pong_deadline = None;
        self.close_deadline = None;
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        let ev = self.events.pop_front();
        if !self.backlog.is_empty() && self.events.len() < self.config.max_queued_events {
            let backlog = core::mem::take(&mut self.backlog);
            let n = self.receive(&backlog);
            self.backlog.extend_from_slice(&backlog[n..]);
            if ev.is_none() {
                return self.events.pop_front();
            }
        }
        ev
    }

    // ------------------------------------------------------------------ send

    fn pending_len(&self) -> usize {
        self.tx.len() - self.tx_pos
    }

    /// Writes one frame into the output buffer: the header, then the payload
    /// copied straight after it — for a client, masked while being copied
    /// (`extend_masked`). No frame is built anywhere else first.
    fn write_frame(&mut self, opcode: u8, fin: bool, rsv1: bool, payload: &[u8]) {
        let mut b0 = opcode;
        if fin {
            b0 |= 0x80;
        }
        if rsv1 {
            b0 |= 0x40;
        }
        let key = match self.role {
            Role::Client => Some(self.mask_gen.next()),
            Role::Server => None,
        };
        let mbit = if key.is_some() { 0x80 } else { 0 };
        self.tx.reserve(14 + payload.len());
        self.tx.push(b0);
        let len = payload.len();
        if len < 126 {
            self.tx.push(mbit | len as u8);
        } else if len <= 0xffff {
            self.tx.push(mbit | 126);
            self.tx.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            self.tx.push(mbit | 127);
            self.tx.extend_from_slice(&(len as u64).to_be_bytes());
        }
        if let Some(k) = key {
            self.tx.extend_from_slice(&k);
        }
        extend_maybe_masked(&mut self.tx, payload, key, 0);
    }

    fn check_can_send(&self) -> Result<(), SendError> {
        if self.close_sent || self.state != State::Open {
            return Err(SendError::Closed);
        }
        if self.pending_len() > self.config.max_pending_output {
            return Err(SendError::WouldBlock);
        }
        Ok(())
    }

    fn send_data_frame(
        &mut self,
        kind: DataKind,
        data: &[u8],
        first: bool,
        fin: bool,
        compress: bool,
    ) {
        let opcode = match (first, kind) {
            (false, _) => OP_CONT,
            (true, DataKind::Text) => OP_TEXT,
            (true, DataKind::Binary) => OP_BINARY,
        };
        if compress {
            let p = self.deflate.unwrap_or_else(unreachable_params);
            let (bits, nct) = match self.role {
                Role::Server => (p.server_max_window_bits, p.server_no_context_takeover),
                Role::Client => (p.client_max_window_bits, p.client_no_context_takeover),
            };
            let c = self
                .compressor
                .get_or_insert_with(|| Compressor::new(bits, p.level, nct));
            let mut z = core::mem::take(&mut self.scratch);
            z.clear();
            c.compress(data, fin, &mut z);
            self.write_frame(opcode, fin, first, &z);
            self.scratch = z;
        } else {
            self.write_frame(opcode, fin, false, data);
        }
    }

    fn should_compress(&self, len: usize) -> bool {
        self.deflate.is_some_and(|p| len >= p.min_compress_size)
    }

    /// Queues a text message as a single frame (compressed if negotiated and
    /// large enough).
    ///
    /// Uncompressed, the frame is produced in place: the header is written
    /// into the output buffer and the payload copied (and, for a client,
    /// masked a word at a time in the same pass) right behind it, so `text`
    /// is read once and no intermediate frame buffer exists; a warm
    /// connection allocates nothing. Compressed, the deflate output goes to
    /// a reused scratch buffer first, since the header's length field must
    /// precede a payload whose length is only known once compressed.
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        self.send_message(DataKind::Text, text.as_bytes())
    }

    /// Queues a binary message as a single frame, produced in place like
    /// [`send_text`](Self::send_text)'s.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.send_message(DataKind::Binary, data)
    }

    fn send_message(&mut self, kind: DataKind, data: &[u8]) -> Result<(), SendError> {
        self.check_can_send()?;
        if self.send_msg.is_some() {
            return Err(SendError::MessageInProgress);
        }
        let c = self.should_compress(data.len());
        self.send_data_frame(kind, data, true, true, c);
        Ok(())
    }

    /// Queues one fragment of a message: the first call starts a message of
    /// `kind`, later calls continue it (with the same `kind`), and `fin`
    /// ends it. Control frames may be sent between fragments. Text is
    /// validated incrementally, so a code point may span fragments.
    ///
    /// With permessage-deflate the message is compressed if its first
    /// fragment is at least `min_compress_size` bytes.
    pub fn send_fragment(
        &mut self,
        kind: DataKind,
        data: &[u8],
        fin: bool,
    ) -> Result<(), SendError> {
        self.check_can_send()?;
        let (first, compress) = match self.send_msg {
            Some((k, _)) if k != kind => return Err(SendError::KindMismatch),
            Some((_, c)) => (false, c),
            None => (true, self.should_compress(data.len())),
        };
        if kind == DataKind::Text {
            let mut v = if first {
                Utf8Validator::new()
            } else {
                self.send_utf8
            };
            if !v.feed(data) || (fin && !v.is_complete()) {
                return Err(SendError::InvalidUtf8);
            }
            self.send_utf8 = v;
        }
        self.send_data_frame(kind, data, first, fin, compress);
        self.send_msg = if fin { None } else { Some((kind, compress)) };
        Ok(())
    }

    /// Queues a ping (payload ≤ 125 bytes).
    pub fn send_ping(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.send_control(OP_PING, data)
    }

    /// Queues an unsolicited pong (payload ≤ 125 bytes), e.g. as a
    /// unidirectional heartbeat or when `auto_pong` is off.
    pub fn send_pong(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.send_control(OP_PONG, data)
    }

    fn send_control(&mut self, op: u8, data: &[u8]) -> Result<(), SendError> {
        self.check_can_send()?;
        if data.len() > 125 {
            return Err(SendError::ControlTooLong);
        }
        self.write_frame(op, true, false, data);
        Ok(())
    }

    /// Starts the closing handshake with `code` and a `reason` of at most 123
    /// bytes. The state becomes [`State::Closing`]; the peer's close frame
    /// (reported as [`Event::Close`]) completes it, or `close_timeout` expires.
    pub fn send_close(&mut self, code: CloseCode, reason: &str) -> Result<(), SendError> {
        if self.close_sent || self.state != State::Open {
            return Err(SendError::Closed);
        }
        if !code.is_valid_on_wire() {
            return Err(SendError::InvalidCloseCode);
        }
        if reason.len() > 123 {
            return Err(SendError::ControlTooLong);
        }
        let mut p = [0u8; 125];
        p[..2].copy_from_slice(&code.0.to_be_bytes());
        p[2..2 + reason.len()].copy_from_slice(reason.as_bytes());
        self.write_frame(OP_CLOSE, true, false, &p[..2 + reason.len()]);
        self.close_sent = true;
        self.state = State::Closing;
        self.next_ping = None;
        self.pong_deadline = None;
        // Armed at the next handle_timeout (poll_timeout reports it due now).
        self.close_deadline = None;
        Ok(())
    }

    /// The peer's TCP stream ended. Unless the close handshake already finished, the
    /// connection fails with [`Error::ConnectionLost`] (code 1006: no close frame can
    /// be exchanged any more) and is [`State::Closed`]. Messages completed before
    /// stay available from `poll_event`.
    pub fn receive_eof(&mut self) {
        if self.state == State::Closed {
            return;
        }
        // No close frame: the peer cannot read it.
        self.close_sent = true;
        self.fail(Error::ConnectionLost);
    }

    /// The graceful close: the close handshake with 1000 (normal closure). Same as
    /// `send_close(CloseCode::NORMAL, "")`; does nothing once a close was sent.
    pub fn close(&mut self) {
        if !self.close_sent && self.state == State::Open {
            let _ = self.send_close(CloseCode::NORMAL, "");
        }
    }

    /// Bytes waiting to be written to the socket, if any. Call
    /// [`advance_transmit`](Self::advance_transmit) with how many were written.
    pub fn poll_transmit(&self) -> Option<&[u8]> {
        let p = &self.tx[self.tx_pos..];
        if p.is_empty() {
            None
        } else {
            Some(p)
        }
    }

    /// Marks `n` bytes returned by [`poll_transmit`](Self::poll_transmit) as written.
    pub fn advance_transmit(&mut self, n: usize) {
        self.tx_pos = (self.tx_pos + n).min(self.tx.len());
        if self.tx_pos == self.tx.len() {
            self.tx.clear();
            self.tx_pos = 0;
        } else if self.tx_pos > 64 * 1024 && self.tx_pos > self.tx.len() / 2 {
            self.tx.drain(..self.tx_pos);
            self.tx_pos = 0;
        }
    }

    /// Moves all pending output into `out` (appending), for callers that
    /// prefer owning the bytes.
    pub fn transmit_into(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.tx[self.tx_pos..]);
        self.tx.clear();
        self.tx_pos = 0;
    }

    // ------------------------------------------------------------------ time

    /// The next instant at which [`handle_timeout`](Self::handle_timeout)
    /// must be called, if any. A timer that needs the current time to start
    /// (the first keep-alive, a close we just sent) is reported as due at the
    /// last instant seen, i.e. immediately.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Closed => None,
            State::Closing => Some(self.close_deadline.unwrap_or(self.last_now)),
            State::Open => {
                let ping = self
                    .config
                    .ping_interval
                    .map(|_| self.next_ping.unwrap_or(self.last_now));
                Instant::earliest(ping, self.pong_deadline)
            }
        }
    }

    /// Advances the timers to `now`: arms pending timers, sends keep-alive
    /// pings, and fails the connection on a pong or close timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        if now > self.last_now {
            self.last_now = now;
        }
        let now = self.last_now;
        match self.state {
            State::Closed => {}
            State::Closing => match self.close_deadline {
                None => self.close_deadline = Some(now + self.config.close_timeout),
                Some(d) if d <= now => {
                    self.state = State::Closed;
                    self.clear_timers();
                    self.events.push_back(Event::Error(Error::CloseTimeout));
                }
                Some(_) => {}
            },
            State::Open => {
                if self.pong_deadline.is_some_and(|d| d <= now) {
                    self.state = State::Closed;
                    self.clear_timers();
                    self.events.push_back(Event::Error(Error::PongTimeout));
                    return;
                }
                let Some(interval) = self.config.ping_interval else {
                    return;
                };
                match self.next_ping {
                    None => self.next_ping = Some(now + interval),
                    Some(t) if t <= now => {
                        if self.pong_deadline.is_none() {
                            self.ping_counter = self.ping_counter.wrapping_add(1);
                            let p = self.ping_counter.to_be_bytes();
                            self.write_frame(OP_PING, true, false, &p);
                            self.pong_deadline = Some(now + self.config.pong_timeout);
                        }
                        self.next_ping = Some(now + interval);
                    }
                    Some(_) => {}
                }
            }
        }
    }
}

/// Length of a frame header whose second byte is `b1`: 2, plus the extended
/// length (0, 2 or 8 bytes), plus the masking key (0 or 4 bytes).
fn header_len(b1: u8) -> usize {
    let ext = match b1 & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let mask = if b1 & 0x80 != 0 { 4 } else { 0 };
    2 + ext + mask
}

/// The fields of the frame header at the start of `h`, which must hold at
/// least `header_len(h[1])` bytes. The extended length must be minimal
/// (RFC 6455 §5.2) and a 64-bit one must leave the top bit clear; otherwise
/// `NonMinimalLength`. The size limits are the caller's to apply.
fn parse_head(h: &[u8]) -> Result<FrameHead, Error> {
    let (len, i) = match h[1] & 0x7f {
        126 => {
            let l = u64::from(u16::from_be_bytes([h[2], h[3]]));
            if l < 126 {
                return Err(Error::NonMinimalLength);
            }
            (l, 4)
        }
        127 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[2..10]);
            let l = u64::from_be_bytes(b);
            if l < 65536 || l >> 63 != 0 {
                return Err(Error::NonMinimalLength);
            }
            (l, 10)
        }
        l => (u64::from(l), 2),
    };
    let mask = (h[1] & 0x80 != 0).then(|| {
        let mut k = [0u8; 4];
        k.copy_from_slice(&h[i..i + 4]);
        k
    });
    Ok(FrameHead {
        fin: h[0] & 0x80 != 0,
        opcode: h[0] & 0x0f,
        mask,
        len,
    })
}

/// permessage-deflate is only ever used when negotiated; RSV1 without it is
/// rejected in `check_first_bytes`, and we only compress when negotiated.
/// This is the conservative stand-in should that invariant ever break.
fn unreachable_params() -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: 15,
        client_max_window_bits: 15,
        level: 1,
        min_compress_size: usize::MAX,
    }
}

fn inflate_error(e: InflateError) -> Error {
    match e {
        InflateError::Corrupt => Error::Decompression,
        InflateError::TooLarge => Error::MessageTooLarge,
    }
}

impl viper_core::Transmit for WebSocket {
    fn poll_transmit(&mut self) -> Option<&[u8]> {
        WebSocket::poll_transmit(self)
    }
    fn advance_transmit(&mut self, n: usize) {
        WebSocket::advance_transmit(self, n)
    }
}

impl viper_core::SansIo for WebSocket {
    type Event = Event;
    fn receive(&mut self, data: &[u8]) -> usize {
        WebSocket::receive(self, data)
    }
    fn receive_eof(&mut self) {
        WebSocket::receive_eof(self)
    }
    fn poll_event(&mut self) -> Option<Event> {
        WebSocket::poll_event(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        WebSocket::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: Instant) {
        WebSocket::handle_timeout(self, now)
    }
    /// WebSocket's graceful close: [`WebSocket::close`] (the close handshake, 1000).
    fn close(&mut self) {
        WebSocket::close(self)
    }
    fn is_closed(&self) -> bool {
        self.state == State::Closed
    }
}
