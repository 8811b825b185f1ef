//! The server connection: preface, SETTINGS, streams (§5.1), flow control, scheduling,
//! GOAWAY/PING and the hardening limits.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use viper_core::Instant;
use viper_hpack::{Decoder, DecoderConfig, Encoder, EncoderConfig, Header};

use crate::frame::{
    self, flags, kind, setting, settings_iter, write_header, Frame, FrameHeader, FRAME_HEADER_LEN,
    MAX_WINDOW_SIZE, PREFACE,
};
use crate::headers::{self, Builder, HeaderList};
use crate::{Config, ErrorCode, Event, PeerSettings, SendError, UpgradeError};

const GRACEFUL_PING: [u8; 8] = *b"viper-gs";

/// Size in bytes of one stream's state (without its send buffer contents).
pub const STREAM_STATE_SIZE: usize = core::mem::size_of::<Stream>();

/// An HTTP/1.1 request that asked for `Upgrade: h2c`, handed over as plain data.
#[derive(Clone, Copy, Debug)]
pub struct H2cUpgrade<'a> {
    /// The decoded (base64url) `HTTP2-Settings` header value: a SETTINGS payload.
    pub settings: &'a [u8],
    /// Request method.
    pub method: &'a [u8],
    /// Request target (origin form, e.g. `/index.html`).
    pub target: &'a [u8],
    /// Authority (empty: taken from the Host header).
    pub authority: &'a [u8],
    /// The request's header fields (any case; connection-specific ones are dropped).
    pub headers: &'a [(&'a [u8], &'a [u8])],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closed {
    /// We sent RST_STREAM: late frames are ignored.
    ResetByUs,
    /// The peer sent RST_STREAM or both sides ended: late frames are STREAM_CLOSED.
    Done,
}

#[derive(Debug)]
struct Stream {
    recv_closed: bool,
    send_closed: bool,
    headers_sent: bool,
    end_queued: bool,
    queued: bool,
    wants_capacity: bool,
    seen: bool,
    incremental: bool,
    urgency: u8,
    send_window: i64,
    recv_window: i64,
    unreleased: u32,
    release_pending: u32,
    content_length: Option<u64>,
    received: u64,
    buf: VecDeque<u8>,
    trailers: Option<HeaderList>,
}

#[derive(Debug)]
struct Block {
    stream_id: u32,
    end_stream: bool,
    self_dep: bool,
    frames: u32,
    buf: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Preface(u8),
    WaitSettings,
    Open,
    Closed,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: u32,
    last: Instant,
}

impl Bucket {
    fn new(burst: u32, now: Instant) -> Self {
        Bucket {
            tokens: burst,
            last: now,
        }
    }
    fn take(&mut self, now: Instant, burst: u32, rate: u32) -> bool {
        let ms = now.saturating_duration_since(self.last).as_millis();
        let add = ms.saturating_mul(u128::from(rate)) / 1000;
        if add > 0 {
            self.tokens = u32::try_from(add)
                .unwrap_or(u32::MAX)
                .saturating_add(self.tokens)
                .min(burst);
            self.last = now;
        }
        if self.tokens == 0 {
            false
        } else {
            self.tokens -= 1;
            true
        }
    }
}

#[derive(Debug)]
struct Queued {
    ev: Event,
    /// DATA bytes to credit back when polled (auto mode).
    release: u32,
    /// A StreamReset for a stream whose request had not been polled.
    unseen_reset: bool,
}

/// Why processing a frame stopped.
enum Stop {
    /// Connection error already handled (GOAWAY written).
    Dead,
}

type R = Result<(), Stop>;

/// One HTTP/2 server connection, I/O-free.
///
/// Feed bytes with [`receive`](Self::receive), drain [`poll_event`](Self::poll_event),
/// answer with the `send_*` commands, and write what
/// [`poll_transmit`](Self::poll_transmit) returns. Call
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout).
pub struct Connection {
    cfg: Config,
    state: State,
    now: Instant,
    rbuf: Vec<u8>,
    out: Vec<u8>,
    handed: usize,
    events: VecDeque<Queued>,
    dec: Decoder,
    enc: Encoder,
    scratch: Vec<u8>,
    streams: BTreeMap<u32, Stream>,
    closed: VecDeque<(u32, Closed, Instant)>,
    highest_id: u32,
    peer: PeerSettings,
    local_acked: bool,
    settings_deadline: Option<Instant>,
    conn_send_window: i64,
    conn_recv_window: i64,
    conn_release_pending: u32,
    buffered_total: usize,
    block: Option<Block>,
    pending_settings_ack: bool,
    pending_pong: bool,
    unseen_resets: u32,
    peer_resets: Bucket,
    local_resets: Bucket,
    empty_frames: Bucket,
    tiny_frames: Bucket,
    priority_frames: Bucket,
    /// RFC 9218 PRIORITY_UPDATEs for idle streams, applied when they open. Together
    /// with the open streams at most `max_concurrent_streams` entries (RFC 9218 §7.1).
    idle_priorities: Vec<(u32, u8, bool)>,
    ready: [VecDeque<u32>; 8],
    stall_since: Option<Instant>,
    goaway_sent: Option<u32>,
    goaway_recv: bool,
    shutdown_ping: Option<Instant>,
    terminated: bool,
}

fn stream_event(ev: Event) -> Queued {
    Queued {
        ev,
        release: 0,
        unseen_reset: false,
    }
}

impl Connection {
    /// A server connection expecting the client preface (prior knowledge or after
    /// ALPN `h2`). Our SETTINGS are queued for [`poll_transmit`](Self::poll_transmit).
    pub fn new(config: Config, now: Instant) -> Self {
        let mut cfg = config;
        cfg.max_frame_size = cfg
            .max_frame_size
            .clamp(frame::MIN_MAX_FRAME_SIZE, frame::MAX_MAX_FRAME_SIZE);
        cfg.initial_window_size = cfg.initial_window_size.min(MAX_WINDOW_SIZE);
        cfg.connection_window_size = cfg.connection_window_size.min(MAX_WINDOW_SIZE);
        let dec = Decoder::new(DecoderConfig {
            max_table_size: cfg.header_table_size as usize,
            max_header_list_size: cfg.max_header_list_size as usize,
            max_header_count: cfg.max_header_count as usize,
        });
        let enc = Encoder::new(EncoderConfig {
            max_table_size: cfg.encoder_table_size as usize,
            ..EncoderConfig::default()
        });
        let mut c = Connection {
            state: State::Preface(0),
            now,
            rbuf: Vec::new(),
            out: Vec::new(),
            handed: 0,
            events: VecDeque::new(),
            dec,
            enc,
            scratch: Vec::new(),
            streams: BTreeMap::new(),
            closed: VecDeque::new(),
            highest_id: 0,
            peer: PeerSettings::default(),
            local_acked: false,
            settings_deadline: Some(now + cfg.settings_timeout),
            conn_send_window: 65_535,
            conn_recv_window: 65_535,
            conn_release_pending: 0,
            buffered_total: 0,
            block: None,
            pending_settings_ack: false,
            pending_pong: false,
            unseen_resets: 0,
            peer_resets: Bucket::new(cfg.peer_reset_burst, now),
            local_resets: Bucket::new(cfg.local_reset_burst, now),
            empty_frames: Bucket::new(cfg.empty_frame_burst, now),
            tiny_frames: Bucket::new(cfg.tiny_data_burst, now),
            priority_frames: Bucket::new(cfg.priority_frame_burst, now),
            idle_priorities: Vec::new(),
            ready: Default::default(),
            stall_since: None,
            goaway_sent: None,
            goaway_recv: false,
            shutdown_ping: None,
            terminated: false,
            cfg,
        };
        c.write_initial_settings();
        c
    }

    /// A server connection taking over an HTTP/1.1 request that carried
    /// `Upgrade: h2c` (RFC 7540 §3.2). The caller has sent `101 Switching Protocols`;
    /// the request becomes stream 1, half-closed (remote), reported as an
    /// [`Event::Request`] with `end_stream`. The client preface is still expected.
    /// For a request with a body use
    /// [`from_h2c_upgrade_with_body`](Self::from_h2c_upgrade_with_body).
    pub fn from_h2c_upgrade(
        config: Config,
        now: Instant,
        upgrade: H2cUpgrade<'_>,
    ) -> Result<Self, UpgradeError> {
        Self::from_h2c_upgrade_with_body(config, now, upgrade, &[])
    }

    /// Like [`from_h2c_upgrade`](Self::from_h2c_upgrade) for a request whose body the
    /// caller read over HTTP/1.1 before switching (RFC 7540 §3.2: it is sent in full
    /// first). Stream 1 reports [`Event::Request`], one [`Event::Data`] with the body
    /// (its `flow_controlled_len` is 0: it never used HTTP/2 windows, so nothing is to
    /// be released), then [`Event::StreamEnded`]. A `content-length` that disagrees
    /// with `body.len()` is [`UpgradeError::InvalidRequest`].
    pub fn from_h2c_upgrade_with_body(
        config: Config,
        now: Instant,
        upgrade: H2cUpgrade<'_>,
        body: &[u8],
    ) -> Result<Self, UpgradeError> {
        let mut c = Connection::new(config, now);
        if upgrade.settings.len() % 6 != 0 {
            return Err(UpgradeError::InvalidSettings(ErrorCode::FRAME_SIZE_ERROR));
        }
        if upgrade.settings.len() / 6 > c.cfg.max_settings_entries as usize {
            return Err(UpgradeError::InvalidSettings(ErrorCode::ENHANCE_YOUR_CALM));
        }
        c.apply_peer_settings(upgrade.settings)
            .map_err(UpgradeError::InvalidSettings)?;
        let (head, content_length) = headers::head_from_h1(
            upgrade.method,
            upgrade.target,
            upgrade.authority,
            upgrade.headers,
        )
        .map_err(|_| UpgradeError::InvalidRequest)?;
        if content_length.is_some_and(|n| n != body.len() as u64) {
            return Err(UpgradeError::InvalidRequest);
        }
        let mut s = c.new_stream();
        s.recv_closed = true;
        c.streams.insert(1, s);
        c.highest_id = 1;
        c.push_event(Event::Request {
            stream_id: 1,
            head,
            end_stream: body.is_empty(),
        });
        if !body.is_empty() {
            c.push_event(Event::Data {
                stream_id: 1,
                data: body.to_vec(),
                flow_controlled_len: 0,
            });
        }
        c.push_event(Event::StreamEnded { stream_id: 1 });
        Ok(c)
    }

    fn write_initial_settings(&mut self) {
        let mut p = Vec::with_capacity(36);
        let mut put = |id: u16, v: u32| {
            p.extend_from_slice(&id.to_be_bytes());
            p.extend_from_slice(&v.to_be_bytes());
        };
        if self.cfg.header_table_size != 4096 {
            put(setting::HEADER_TABLE_SIZE, self.cfg.header_table_size);
        }
        put(
            setting::MAX_CONCURRENT_STREAMS,
            self.cfg.max_concurrent_streams,
        );
        put(setting::INITIAL_WINDOW_SIZE, self.cfg.initial_window_size);
        if self.cfg.max_frame_size != frame::MIN_MAX_FRAME_SIZE {
            put(setting::MAX_FRAME_SIZE, self.cfg.max_frame_size);
        }
        put(setting::MAX_HEADER_LIST_SIZE, self.cfg.max_header_list_size);
        if self.cfg.enable_connect_protocol {
            put(setting::ENABLE_CONNECT_PROTOCOL, 1);
        }
        Frame::Settings {
            ack: false,
            payload: &p,
        }
        .encode(&mut self.out);
        if self.cfg.connection_window_size > 65_535 {
            let inc = self.cfg.connection_window_size - 65_535;
            self.conn_recv_window += i64::from(inc);
            Frame::WindowUpdate {
                stream_id: 0,
                increment: inc,
            }
            .encode(&mut self.out);
        }
    }

    fn new_stream(&self) -> Stream {
        // Until the peer acknowledged our SETTINGS it may still use the default 65 535.
        let recv = if self.local_acked {
            self.cfg.initial_window_size
        } else {
            self.cfg.initial_window_size.max(65_535)
        };
        Stream {
            recv_closed: false,
            send_closed: false,
            headers_sent: false,
            end_queued: false,
            queued: false,
            wants_capacity: false,
            seen: false,
            incremental: false,
            urgency: 3,
            send_window: i64::from(self.peer.initial_window_size),
            recv_window: i64::from(recv),
            unreleased: 0,
            release_pending: 0,
            content_length: None,
            received: 0,
            buf: VecDeque::new(),
            trailers: None,
        }
    }

    // ------------------------------------------------------------------ accessors

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The peer's settings in force.
    pub fn peer_settings(&self) -> &PeerSettings {
        &self.peer
    }

    /// Number of streams not yet fully closed.
    pub fn open_streams(&self) -> usize {
        self.streams.len()
    }

    /// Number of closed streams currently remembered.
    pub fn remembered_closed_streams(&self) -> usize {
        self.closed.len()
    }

    /// Bytes accepted by `send_data` and not yet handed to `poll_transmit`.
    pub fn buffered_send_bytes(&self) -> usize {
        self.buffered_total
    }

    /// Our connection-level send window (may be negative only for streams).
    pub fn connection_send_window(&self) -> i64 {
        self.conn_send_window
    }

    /// The stream's send window, if the stream is open.
    pub fn stream_send_window(&self, stream_id: u32) -> Option<i64> {
        self.streams.get(&stream_id).map(|s| s.send_window)
    }

    /// True once the connection is finished: after a connection error, an immediate
    /// GOAWAY, or a graceful shutdown (ours or the peer's) whose streams all ended.
    /// Flush [`poll_transmit`](Self::poll_transmit), then close the socket.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
            || ((self.goaway_sent.is_some() || self.goaway_recv) && self.streams.is_empty())
    }

    /// True when `receive` would not consume input right now because an
    /// acknowledgement, too much output or too many events wait to be drained.
    pub fn wants_read_pause(&self) -> bool {
        self.out.len().saturating_sub(self.handed) > self.cfg.max_pending_output as usize
            || self.events.len() >= self.cfg.max_queued_events as usize
    }

    // ------------------------------------------------------------------ input

    /// Feeds bytes received from the peer. Returns how many were consumed; fewer than
    /// `data.len()` means the connection applies read backpressure (a SETTINGS ACK or
    /// PING ACK is waiting to be transmitted, or events/output are piling up): drain
    /// `poll_event`/`poll_transmit` and offer the rest again. After the connection is
    /// closed everything is consumed and ignored.
    pub fn receive(&mut self, data: &[u8]) -> usize {
        let mut input = data;
        loop {
            if self.state == State::Closed {
                return data.len();
            }
            if input.is_empty() && self.rbuf.len() < FRAME_HEADER_LEN {
                break;
            }
            if let State::Preface(m) = self.state {
                let m = usize::from(m);
                let want = PREFACE.len() - m;
                let take = want.min(input.len());
                let (head, rest) = input.split_at(take);
                if PREFACE.get(m..m + take) != Some(head) {
                    self.conn_error(ErrorCode::PROTOCOL_ERROR, "invalid connection preface");
                    return data.len();
                }
                input = rest;
                if take == want {
                    self.state = State::WaitSettings;
                } else {
                    self.state = State::Preface((m + take) as u8);
                    break;
                }
                continue;
            }
            if self.wants_read_pause() {
                break;
            }
            // Assemble one frame: from `rbuf` if a partial frame is buffered, else
            // straight from `input`.
            let (hdr_src, from_buf): (&[u8], bool) = if self.rbuf.is_empty() {
                (input, false)
            } else {
                if self.rbuf.len() < FRAME_HEADER_LEN {
                    let take = (FRAME_HEADER_LEN - self.rbuf.len()).min(input.len());
                    let (h, rest) = input.split_at(take);
                    self.rbuf.extend_from_slice(h);
                    input = rest;
                    if self.rbuf.len() < FRAME_HEADER_LEN {
                        break;
                    }
                }
                (&[][..], true)
            };
            let hdr = if from_buf {
                FrameHeader::parse(&self.rbuf)
            } else {
                FrameHeader::parse(hdr_src)
            };
            let Some(hdr) = hdr else {
                // Fewer than 9 bytes of input and nothing buffered.
                self.rbuf.extend_from_slice(input);
                input = &[];
                break;
            };
            if hdr.length > self.cfg.max_frame_size {
                self.conn_error(
                    ErrorCode::FRAME_SIZE_ERROR,
                    "frame larger than MAX_FRAME_SIZE",
                );
                return data.len();
            }
            if self.must_pause_before(&hdr) {
                break;
            }
            let total = FRAME_HEADER_LEN + hdr.length as usize;
            if from_buf {
                let take = (total - self.rbuf.len()).min(input.len());
                let (p, rest) = input.split_at(take);
                self.rbuf.extend_from_slice(p);
                input = rest;
                if self.rbuf.len() < total {
                    break;
                }
                let buf = core::mem::take(&mut self.rbuf);
                let _ = self.process(&hdr, buf.get(FRAME_HEADER_LEN..total).unwrap_or(&[]));
                self.rbuf = buf;
                self.rbuf.clear();
            } else if input.len() >= total {
                let (f, rest) = input.split_at(total);
                input = rest;
                let _ = self.process(&hdr, f.get(FRAME_HEADER_LEN..).unwrap_or(&[]));
            } else {
                self.rbuf.extend_from_slice(input);
                input = &[];
                break;
            }
        }
        data.len() - input.len()
    }

    /// Read-side backpressure for SETTINGS and PING floods (CVE-2019-9515/9512): while
    /// our ACK for the previous one has not been transmitted, stop before the next.
    fn must_pause_before(&self, h: &FrameHeader) -> bool {
        (h.kind == kind::SETTINGS && h.flags & flags::ACK == 0 && self.pending_settings_ack)
            || (h.kind == kind::PING && h.flags & flags::ACK == 0 && self.pending_pong)
    }

    fn process(&mut self, h: &FrameHeader, payload: &[u8]) -> R {
        if self.state == State::WaitSettings {
            if h.kind != kind::SETTINGS || h.flags & flags::ACK != 0 {
                return self.fail(ErrorCode::PROTOCOL_ERROR, "first frame is not SETTINGS");
            }
            self.state = State::Open;
        }
        if let Some(b) = &self.block {
            if h.kind != kind::CONTINUATION || h.stream_id != b.stream_id {
                return self.fail(ErrorCode::PROTOCOL_ERROR, "expected CONTINUATION");
            }
        }
        let f = match Frame::decode(h, payload) {
            Ok(f) => f,
            Err(e) => {
                return match e.stream_id {
                    Some(id) if self.block.is_none() => self.stream_error(id, e.code),
                    _ => self.fail(e.code, e.reason),
                }
            }
        };
        match f {
            Frame::Data {
                stream_id,
                end_stream,
                data,
                pad_len,
            } => self.on_data(stream_id, end_stream, data, pad_len),
            Frame::Headers {
                stream_id,
                end_stream,
                end_headers,
                priority,
                fragment,
                ..
            } => {
                let self_dep = priority.is_some_and(|p| p.dependency == stream_id);
                self.on_headers(stream_id, end_stream, end_headers, self_dep, fragment)
            }
            Frame::Continuation {
                stream_id,
                end_headers,
                fragment,
            } => self.on_continuation(stream_id, end_headers, fragment),
            Frame::Priority {
                stream_id,
                priority,
            } => {
                // RFC 7540 priorities are validated but not stored: O(1) per frame.
                if !self.spend_priority() {
                    return self.calm("too many PRIORITY frames");
                }
                if priority.dependency == stream_id {
                    return self.stream_error(stream_id, ErrorCode::PROTOCOL_ERROR);
                }
                Ok(())
            }
            Frame::RstStream {
                stream_id,
                error_code,
            } => self.on_rst(stream_id, error_code),
            Frame::Settings { ack, payload } => self.on_settings(ack, payload),
            Frame::PushPromise { .. } => {
                self.fail(ErrorCode::PROTOCOL_ERROR, "PUSH_PROMISE from a client")
            }
            Frame::Ping { ack, data } => {
                if ack {
                    if data == GRACEFUL_PING && self.shutdown_ping.is_some() {
                        self.finish_graceful();
                    } else {
                        self.push_event(Event::PingAcknowledged { data });
                    }
                } else {
                    Frame::Ping { ack: true, data }.encode(&mut self.out);
                    self.pending_pong = true;
                }
                Ok(())
            }
            Frame::GoAway {
                last_stream_id,
                error_code,
                ..
            } => {
                self.goaway_recv = true;
                self.push_event(Event::GoAwayReceived {
                    last_stream_id,
                    error_code,
                });
                if error_code != ErrorCode::NO_ERROR {
                    self.state = State::Closed;
                    self.terminate(error_code, "peer GOAWAY", true);
                } else {
                    // Graceful: done once the streams it still wants have ended.
                    self.check_drained();
                }
                Ok(())
            }
            Frame::WindowUpdate {
                stream_id,
                increment,
            } => self.on_window_update(stream_id, increment),
            Frame::PriorityUpdate {
                prioritized_id,
                field_value,
            } => {
                if !self.spend_priority() {
                    return self.calm("too many PRIORITY frames");
                }
                if prioritized_id == 0 {
                    return self.fail(ErrorCode::PROTOCOL_ERROR, "PRIORITY_UPDATE for stream 0");
                }
                let (u, i) = headers::parse_priority(field_value).unwrap_or((3, false));
                if let Some(s) = self.streams.get_mut(&prioritized_id) {
                    s.urgency = u;
                    s.incremental = i;
                    self.push_event(Event::PriorityChanged {
                        stream_id: prioritized_id,
                        urgency: u,
                        incremental: i,
                    });
                } else if prioritized_id > self.highest_id && prioritized_id % 2 == 1 {
                    // An idle request stream: remembered until its HEADERS arrive.
                    let id = prioritized_id;
                    if let Some(e) = self.idle_priorities.iter_mut().find(|e| e.0 == id) {
                        *e = (id, u, i);
                    } else if self.streams.len() + self.idle_priorities.len()
                        >= self.cfg.max_concurrent_streams as usize
                    {
                        return self.fail(
                            ErrorCode::PROTOCOL_ERROR,
                            "PRIORITY_UPDATE beyond MAX_CONCURRENT_STREAMS",
                        );
                    } else {
                        self.idle_priorities.push((id, u, i));
                    }
                }
                Ok(())
            }
            Frame::Unknown { .. } => Ok(()),
        }
    }

    fn fail(&mut self, code: ErrorCode, reason: &'static str) -> R {
        self.conn_error(code, reason);
        Err(Stop::Dead)
    }

    fn calm(&mut self, reason: &'static str) -> R {
        self.fail(ErrorCode::ENHANCE_YOUR_CALM, reason)
    }

    fn closed_kind(&mut self, id: u32) -> Option<Closed> {
        self.prune_closed();
        self.closed.iter().find(|c| c.0 == id).map(|c| c.1)
    }

    fn prune_closed(&mut self) {
        let ttl = self.cfg.closed_stream_ttl;
        let now = self.now;
        while let Some(&(_, _, t)) = self.closed.front() {
            if self.closed.len() > self.cfg.max_closed_streams as usize || t + ttl <= now {
                self.closed.pop_front();
            } else {
                break;
            }
        }
    }

    fn remember_closed(&mut self, id: u32, how: Closed) {
        if self.cfg.max_closed_streams == 0 {
            return;
        }
        self.closed.push_back((id, how, self.now));
        self.prune_closed();
    }

    // ------------------------------------------------------------------ DATA

    fn on_data(&mut self, id: u32, end_stream: bool, data: &[u8], pad_len: u32) -> R {
        let flow = data.len() as i64 + i64::from(pad_len);
        if flow > self.conn_recv_window {
            return self.fail(ErrorCode::FLOW_CONTROL_ERROR, "connection window exceeded");
        }
        self.conn_recv_window -= flow;
        let flow32 = flow as u32;
        if data.is_empty() && !end_stream && !self.spend_empty() {
            return self.calm("too many empty frames");
        }
        if !end_stream && (data.len() as u32) < self.cfg.tiny_data_len && !data.is_empty() {
            let (b, r) = (self.cfg.tiny_data_burst, self.cfg.tiny_data_rate);
            if !self.tiny_frames.take(self.now, b, r) {
                return self.calm("too many tiny DATA frames");
            }
        }
        let Some(s) = self.streams.get_mut(&id) else {
            self.release_conn(flow32);
            if id > self.highest_id {
                return self.fail(ErrorCode::PROTOCOL_ERROR, "DATA on idle stream");
            }
            return match self.closed_kind(id) {
                Some(Closed::ResetByUs) => Ok(()),
                _ => self.stream_error(id, ErrorCode::STREAM_CLOSED),
            };
        };
        if s.recv_closed {
            self.release_conn(flow32);
            return self.stream_error(id, ErrorCode::STREAM_CLOSED);
        }
        if flow > s.recv_window {
            self.release_conn(flow32);
            return self.stream_error(id, ErrorCode::FLOW_CONTROL_ERROR);
        }
        s.recv_window -= flow;
        s.received = s.received.saturating_add(data.len() as u64);
        if let Some(cl) = s.content_length {
            if s.received > cl || (end_stream && s.received != cl) {
                self.release_conn(flow32);
                return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
            }
        }
        // Padding is never delivered: credit it back now.
        if pad_len > 0 {
            self.release(id, pad_len);
        }
        if !data.is_empty() {
            if let Some(s) = self.streams.get_mut(&id) {
                s.unreleased = s.unreleased.saturating_add(data.len() as u32);
            }
            self.events.push_back(Queued {
                ev: Event::Data {
                    stream_id: id,
                    data: data.to_vec(),
                    flow_controlled_len: data.len() as u32,
                },
                release: data.len() as u32,
                unseen_reset: false,
            });
        }
        if end_stream {
            self.end_remote(id);
        }
        Ok(())
    }

    /// Removes the idle-stream PRIORITY_UPDATE entries up to `id` (those below it are
    /// closed now and can never apply) and returns the one for `id`, if any.
    fn take_idle_priority(&mut self, id: u32) -> Option<(u32, u8, bool)> {
        if self.idle_priorities.is_empty() {
            return None;
        }
        let found = self.idle_priorities.iter().find(|e| e.0 == id).copied();
        self.idle_priorities.retain(|e| e.0 > id);
        found
    }

    fn spend_priority(&mut self) -> bool {
        let (b, r) = (self.cfg.priority_frame_burst, self.cfg.priority_frame_rate);
        self.priority_frames.take(self.now, b, r)
    }

    fn spend_empty(&mut self) -> bool {
        let (b, r) = (self.cfg.empty_frame_burst, self.cfg.empty_frame_rate);
        self.empty_frames.take(self.now, b, r)
    }

    fn end_remote(&mut self, id: u32) {
        if let Some(s) = self.streams.get_mut(&id) {
            s.recv_closed = true;
            s.release_pending = 0;
        }
        self.push_event(Event::StreamEnded { stream_id: id });
        self.maybe_close(id);
    }

    /// Credits `n` received bytes back to the stream and connection windows,
    /// writing WINDOW_UPDATE frames once half a window is pending.
    fn release(&mut self, id: u32, n: u32) {
        self.release_stream(id, n);
        self.release_conn(n);
    }

    /// Credits `n` received bytes back to the stream's window only (WINDOW_UPDATE once
    /// half of `initial_window_size` is pending; nothing once the peer ended the stream).
    fn release_stream(&mut self, id: u32, n: u32) {
        if let Some(s) = self.streams.get_mut(&id) {
            if !s.recv_closed {
                s.release_pending = s.release_pending.saturating_add(n);
                if s.release_pending >= (self.cfg.initial_window_size / 2).max(1) {
                    let inc = s.release_pending;
                    s.release_pending = 0;
                    s.recv_window += i64::from(inc);
                    Frame::WindowUpdate {
                        stream_id: id,
                        increment: inc,
                    }
                    .encode(&mut self.out);
                }
            }
        }
    }

    fn release_conn(&mut self, n: u32) {
        self.conn_release_pending = self.conn_release_pending.saturating_add(n);
        let target = self.cfg.connection_window_size.max(65_535);
        if self.conn_release_pending >= (target / 2).max(1) {
            let inc = self.conn_release_pending;
            self.conn_release_pending = 0;
            self.conn_recv_window += i64::from(inc);
            Frame::WindowUpdate {
                stream_id: 0,
                increment: inc,
            }
            .encode(&mut self.out);
        }
    }

    // ------------------------------------------------------------------ HEADERS

    fn on_headers(
        &mut self,
        id: u32,
        end_stream: bool,
        end_headers: bool,
        self_dep: bool,
        fragment: &[u8],
    ) -> R {
        if id % 2 == 0 {
            return self.fail(
                ErrorCode::PROTOCOL_ERROR,
                "even stream identifier from client",
            );
        }
        if !self.streams.contains_key(&id) && id <= self.highest_id {
            match self.closed_kind(id) {
                Some(Closed::Done) => {
                    return self.fail(ErrorCode::STREAM_CLOSED, "HEADERS on closed stream")
                }
                Some(Closed::ResetByUs) => {}
                None => {
                    return self.fail(
                        ErrorCode::PROTOCOL_ERROR,
                        "stream identifier not increasing",
                    )
                }
            }
        }
        if fragment.is_empty() && !end_headers && !self.spend_empty() {
            return self.calm("too many empty frames");
        }
        if fragment.len() > self.cfg.max_header_block_size as usize {
            return self.calm("header block too large");
        }
        if end_headers {
            return self.complete_block(id, end_stream, self_dep, fragment);
        }
        self.block = Some(Block {
            stream_id: id,
            end_stream,
            self_dep,
            frames: 0,
            buf: fragment.to_vec(),
        });
        Ok(())
    }

    fn on_continuation(&mut self, id: u32, end_headers: bool, fragment: &[u8]) -> R {
        let Some(mut b) = self.block.take() else {
            return self.fail(ErrorCode::PROTOCOL_ERROR, "CONTINUATION without HEADERS");
        };
        debug_assert_eq!(b.stream_id, id);
        b.frames += 1;
        if b.frames > self.cfg.max_continuation_frames {
            return self.calm("too many CONTINUATION frames");
        }
        if fragment.is_empty() && !end_headers && !self.spend_empty() {
            return self.calm("too many empty frames");
        }
        if b.buf.len() + fragment.len() > self.cfg.max_header_block_size as usize {
            return self.calm("header block too large");
        }
        b.buf.extend_from_slice(fragment);
        if end_headers {
            let r = self.complete_block(id, b.end_stream, b.self_dep, &b.buf);
            // Keep the allocation for the next block.
            b.buf.clear();
            return r;
        }
        self.block = Some(b);
        Ok(())
    }

    fn complete_block(&mut self, id: u32, end_stream: bool, self_dep: bool, block: &[u8]) -> R {
        let existing = self.streams.get(&id).map(|s| s.recv_closed);
        let trailers = existing.is_some();
        // RFC 8441 §4: `:protocol` only once we announced ENABLE_CONNECT_PROTOCOL,
        // and never in trailers.
        let allow_protocol = self.cfg.enable_connect_protocol && !trailers;
        let mut b = Builder::new(trailers, allow_protocol);
        let res = self
            .dec
            .decode(block, |h: Header<'_>| b.field(h.name, h.value, h.sensitive));
        let limit_hit = match res {
            Ok(()) => false,
            Err(e) if e.is_limit() => true,
            Err(_) => return self.fail(ErrorCode::COMPRESSION_ERROR, "HPACK decoding failed"),
        };
        match existing {
            Some(true) => return self.stream_error(id, ErrorCode::STREAM_CLOSED),
            Some(false) => {
                // Trailers.
                if limit_hit {
                    return self.stream_error(id, ErrorCode::ENHANCE_YOUR_CALM);
                }
                if !end_stream {
                    return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
                }
                let list = match b.finish_trailers() {
                    Ok(l) => l,
                    Err(_) => return self.stream_error(id, ErrorCode::PROTOCOL_ERROR),
                };
                if let Some(s) = self.streams.get(&id) {
                    if s.content_length.is_some_and(|cl| cl != s.received) {
                        return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
                    }
                }
                self.push_event(Event::Trailers {
                    stream_id: id,
                    trailers: list,
                });
                self.end_remote(id);
                return Ok(());
            }
            None => {}
        }
        if id <= self.highest_id {
            // A late HEADERS on a stream we reset: decoded for HPACK, then ignored.
            return Ok(());
        }
        self.highest_id = id;
        let update = self.take_idle_priority(id);
        if self.goaway_sent.is_some_and(|last| id > last) {
            return Ok(());
        }
        if self_dep {
            return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
        }
        if self.streams.len() >= self.cfg.max_concurrent_streams as usize {
            return self.stream_error(id, ErrorCode::REFUSED_STREAM);
        }
        if limit_hit {
            // 431, answered by us; the HPACK table is in sync so the connection lives.
            let mut s = self.new_stream();
            s.recv_closed = end_stream;
            s.seen = true;
            self.streams.insert(id, s);
            let _ = self.send_response(id, 431, &[], true);
            if !end_stream {
                self.reset_inner(id, ErrorCode::NO_ERROR, false);
            }
            if !self.take_local_reset() {
                return self.calm("too many stream errors");
            }
            return Ok(());
        }
        let prio = b.priority;
        let (head, content_length) = match b.finish_request() {
            Ok(x) => x,
            Err(_) => return self.stream_error(id, ErrorCode::PROTOCOL_ERROR),
        };
        if end_stream && content_length.is_some_and(|c| c != 0) {
            return self.stream_error(id, ErrorCode::PROTOCOL_ERROR);
        }
        let mut s = self.new_stream();
        s.content_length = content_length;
        if let Some((u, i)) = prio {
            s.urgency = u;
            s.incremental = i;
        }
        // A PRIORITY_UPDATE that arrived while the stream was idle wins over the header.
        if let Some((_, u, i)) = update {
            s.urgency = u;
            s.incremental = i;
        }
        self.streams.insert(id, s);
        self.push_event(Event::Request {
            stream_id: id,
            head,
            end_stream,
        });
        if let Some((_, u, i)) = update {
            self.push_event(Event::PriorityChanged {
                stream_id: id,
                urgency: u,
                incremental: i,
            });
        }
        if end_stream {
            self.end_remote(id);
        }
        Ok(())
    }

    // ------------------------------------------------------------------ RST / WINDOW_UPDATE / SETTINGS

    fn on_rst(&mut self, id: u32, code: ErrorCode) -> R {
        if id > self.highest_id {
            return self.fail(ErrorCode::PROTOCOL_ERROR, "RST_STREAM on idle stream");
        }
        let Some(s) = self.streams.remove(&id) else {
            return Ok(());
        };
        let unseen = !s.seen;
        let unfinished = !s.send_closed;
        self.drop_stream_state(&s);
        self.remember_closed(id, Closed::Done);
        self.events.push_back(Queued {
            ev: Event::StreamReset {
                stream_id: id,
                error_code: code,
                remote: true,
            },
            release: 0,
            unseen_reset: unseen,
        });
        self.check_drained();
        if unseen {
            self.unseen_resets += 1;
            if self.unseen_resets > self.cfg.max_pending_accept_resets {
                return self.calm("rapid reset: too many streams reset before accept");
            }
        }
        if unfinished {
            let (b, r) = (self.cfg.peer_reset_burst, self.cfg.peer_reset_rate);
            if !self.peer_resets.take(self.now, b, r) {
                return self.calm("rapid reset: reset rate exceeded");
            }
        }
        Ok(())
    }

    fn drop_stream_state(&mut self, s: &Stream) {
        self.buffered_total = self.buffered_total.saturating_sub(s.buf.len());
        // Manual mode: the connection window got its share of these bytes back when
        // their `Data` event was polled (or will, for events still queued); only the
        // stream window, which dies with the stream, waited for the application.
    }

    fn on_window_update(&mut self, id: u32, inc: u32) -> R {
        if id == 0 {
            let w = self.conn_send_window + i64::from(inc);
            if w > i64::from(MAX_WINDOW_SIZE) {
                return self.fail(ErrorCode::FLOW_CONTROL_ERROR, "connection window overflow");
            }
            self.conn_send_window = w;
            self.push_event(Event::WindowUpdated {
                stream_id: 0,
                increment: inc,
            });
            // Streams held back by the connection window stayed queued (`schedule`
            // requeues them at the front); those held back by their own window wait
            // for their own WINDOW_UPDATE or SETTINGS. So this is O(1): no scan.
            return Ok(());
        }
        let Some(s) = self.streams.get_mut(&id) else {
            if id > self.highest_id {
                return self.fail(ErrorCode::PROTOCOL_ERROR, "WINDOW_UPDATE on idle stream");
            }
            return Ok(());
        };
        let w = s.send_window + i64::from(inc);
        if w > i64::from(MAX_WINDOW_SIZE) {
            return self.stream_error(id, ErrorCode::FLOW_CONTROL_ERROR);
        }
        s.send_window = w;
        self.push_event(Event::WindowUpdated {
            stream_id: id,
            increment: inc,
        });
        self.enqueue(id);
        Ok(())
    }

    fn on_settings(&mut self, ack: bool, payload: &[u8]) -> R {
        if ack {
            if !self.local_acked {
                self.local_acked = true;
                self.settings_deadline = None;
                let announced = i64::from(self.cfg.initial_window_size);
                if announced < 65_535 {
                    for s in self.streams.values_mut() {
                        s.recv_window -= 65_535 - announced;
                    }
                }
                self.push_event(Event::SettingsAcknowledged);
            }
            return Ok(());
        }
        if payload.len() / 6 > self.cfg.max_settings_entries as usize {
            return self.calm("too many SETTINGS entries");
        }
        if let Err(code) = self.apply_peer_settings(payload) {
            let why = match code {
                ErrorCode::FLOW_CONTROL_ERROR => "INITIAL_WINDOW_SIZE too large",
                _ => "invalid SETTINGS value",
            };
            return self.fail(code, why);
        }
        Frame::Settings {
            ack: true,
            payload: &[],
        }
        .encode(&mut self.out);
        self.pending_settings_ack = true;
        self.push_event(Event::RemoteSettings(self.peer));
        Ok(())
    }

    fn apply_peer_settings(&mut self, payload: &[u8]) -> Result<(), ErrorCode> {
        // Validate everything first, then apply, so a bad frame changes nothing.
        for (id, v) in settings_iter(payload) {
            match id {
                setting::ENABLE_PUSH
                | setting::ENABLE_CONNECT_PROTOCOL
                | setting::NO_RFC7540_PRIORITIES
                    if v > 1 =>
                {
                    return Err(ErrorCode::PROTOCOL_ERROR)
                }
                setting::INITIAL_WINDOW_SIZE if v > MAX_WINDOW_SIZE => {
                    return Err(ErrorCode::FLOW_CONTROL_ERROR)
                }
                setting::MAX_FRAME_SIZE
                    if !(frame::MIN_MAX_FRAME_SIZE..=frame::MAX_MAX_FRAME_SIZE).contains(&v) =>
                {
                    return Err(ErrorCode::PROTOCOL_ERROR)
                }
                _ => {}
            }
        }
        for (id, v) in settings_iter(payload) {
            match id {
                setting::HEADER_TABLE_SIZE => {
                    self.peer.header_table_size = v;
                    self.enc.set_max_table_size(v as usize);
                }
                setting::ENABLE_PUSH => self.peer.enable_push = v == 1,
                setting::MAX_CONCURRENT_STREAMS => self.peer.max_concurrent_streams = Some(v),
                setting::INITIAL_WINDOW_SIZE => {
                    let delta = i64::from(v) - i64::from(self.peer.initial_window_size);
                    self.peer.initial_window_size = v;
                    let mut grow = Vec::new();
                    for (k, s) in self.streams.iter_mut() {
                        s.send_window += delta;
                        if s.send_window > i64::from(MAX_WINDOW_SIZE) {
                            return Err(ErrorCode::FLOW_CONTROL_ERROR);
                        }
                        if delta > 0 && s.has_pending() {
                            grow.push(*k);
                        }
                    }
                    for k in grow {
                        self.enqueue(k);
                    }
                }
                setting::MAX_FRAME_SIZE => self.peer.max_frame_size = v,
                setting::MAX_HEADER_LIST_SIZE => self.peer.max_header_list_size = Some(v),
                setting::ENABLE_CONNECT_PROTOCOL => self.peer.enable_connect_protocol = v == 1,
                _ => {}
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------------ errors

    /// A stream error caused by the peer: RST_STREAM, counted against the
    /// MadeYouReset budget.
    fn stream_error(&mut self, id: u32, code: ErrorCode) -> R {
        self.reset_inner(id, code, false);
        if !self.take_local_reset() {
            return self.calm("too many stream errors");
        }
        Ok(())
    }

    fn take_local_reset(&mut self) -> bool {
        let (b, r) = (self.cfg.local_reset_burst, self.cfg.local_reset_rate);
        self.local_resets.take(self.now, b, r)
    }

    fn reset_inner(&mut self, id: u32, code: ErrorCode, by_app: bool) {
        Frame::RstStream {
            stream_id: id,
            error_code: code,
        }
        .encode(&mut self.out);
        if id > self.highest_id {
            self.highest_id = id;
            self.take_idle_priority(id);
        }
        if let Some(s) = self.streams.remove(&id) {
            self.drop_stream_state(&s);
            if !by_app {
                self.push_event(Event::StreamReset {
                    stream_id: id,
                    error_code: code,
                    remote: false,
                });
            }
        }
        self.remember_closed(id, Closed::ResetByUs);
        self.check_drained();
    }

    fn conn_error(&mut self, code: ErrorCode, reason: &'static str) {
        if self.state == State::Closed {
            return;
        }
        let last = self.highest_id;
        Frame::GoAway {
            last_stream_id: last,
            error_code: code,
            debug: reason.as_bytes(),
        }
        .encode(&mut self.out);
        self.goaway_sent = Some(last);
        self.state = State::Closed;
        self.block = None;
        self.terminate(code, reason, false);
    }

    fn terminate(&mut self, code: ErrorCode, reason: &'static str, remote: bool) {
        if self.terminated {
            return;
        }
        self.terminated = true;
        self.push_event(Event::ConnectionTerminated {
            error_code: code,
            last_stream_id: self.highest_id,
            reason,
            remote,
        });
    }

    fn push_event(&mut self, ev: Event) {
        self.events.push_back(stream_event(ev));
    }

    fn maybe_close(&mut self, id: u32) {
        let done = self
            .streams
            .get(&id)
            .is_some_and(|s| s.recv_closed && s.send_closed);
        if done {
            if let Some(s) = self.streams.remove(&id) {
                self.drop_stream_state(&s);
            }
            self.remember_closed(id, Closed::Done);
        }
        self.check_drained();
    }

    /// After a GOAWAY (sent or received), the connection ends when its last stream does.
    fn check_drained(&mut self) {
        if (self.goaway_sent.is_some() || self.goaway_recv)
            && self.streams.is_empty()
            && self.state != State::Closed
        {
            self.state = State::Closed;
            if self.goaway_sent.is_some() {
                self.terminate(ErrorCode::NO_ERROR, "graceful shutdown complete", false);
            } else {
                self.terminate(ErrorCode::NO_ERROR, "peer GOAWAY", true);
            }
        }
    }

    // ------------------------------------------------------------------ events

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        let q = self.events.pop_front()?;
        match &q.ev {
            Event::Request { stream_id, .. } => {
                if let Some(s) = self.streams.get_mut(stream_id) {
                    s.seen = true;
                }
            }
            Event::Data { stream_id, .. } if self.cfg.auto_release && q.release > 0 => {
                let id = *stream_id;
                if let Some(s) = self.streams.get_mut(&id) {
                    s.unreleased = s.unreleased.saturating_sub(q.release);
                }
                if self.state != State::Closed {
                    self.release(id, q.release);
                }
            }
            // Manual mode: the bytes leave this connection for the application, which
            // holds them against the stream's window until `release_capacity`. The
            // connection window is credited now, so unread bodies never stall the other
            // streams; what the application holds stays bounded by the stream windows.
            Event::Data { .. } if q.release > 0 && self.state != State::Closed => {
                self.release_conn(q.release);
            }
            _ => {}
        }
        if q.unseen_reset {
            self.unseen_resets = self.unseen_resets.saturating_sub(1);
        }
        Some(q.ev)
    }

    /// Manual flow control (`Config::auto_release == false`): the application consumed
    /// `n` bytes of the stream's DATA; credit them back to the peer's window for this
    /// stream (a WINDOW_UPDATE once half of `initial_window_size` is pending).
    ///
    /// The connection window is not touched here: in manual mode it is credited when a
    /// [`Event::Data`] is polled, so only the stream whose body is not read stalls.
    /// Bytes polled and not released are bounded by the stream windows:
    /// at most `max_concurrent_streams × initial_window_size` over the open streams.
    pub fn release_capacity(&mut self, stream_id: u32, n: u32) -> Result<(), SendError> {
        if self.state == State::Closed {
            return Err(SendError::ConnectionClosed);
        }
        let Some(s) = self.streams.get_mut(&stream_id) else {
            // Bytes of a closed stream were credited to the connection at close.
            return Err(SendError::UnknownStream);
        };
        if n > s.unreleased {
            return Err(SendError::TooMuchReleased);
        }
        s.unreleased -= n;
        self.release_stream(stream_id, n);
        Ok(())
    }

    // ------------------------------------------------------------------ commands

    fn check_fields(headers: &[(&[u8], &[u8])]) -> Result<(), SendError> {
        for (n, v) in headers {
            if !headers::valid_name(n)
                || headers::is_connection_specific(n)
                || !headers::valid_value(v)
                || (*n == b"te" && *v != b"trailers")
            {
                return Err(SendError::InvalidHeader);
            }
        }
        Ok(())
    }

    fn writable(&mut self, id: u32) -> Result<&mut Stream, SendError> {
        if self.state == State::Closed {
            return Err(SendError::ConnectionClosed);
        }
        self.streams.get_mut(&id).ok_or(SendError::UnknownStream)
    }

    /// Sends the response head on `stream_id` (`:status` plus `headers`, lowercase
    /// names). 1xx heads may precede the final one. With `end_stream` the response has
    /// no body.
    pub fn send_response(
        &mut self,
        stream_id: u32,
        status: u16,
        headers: &[(&[u8], &[u8])],
        end_stream: bool,
    ) -> Result<(), SendError> {
        if !(100..=999).contains(&status) || (status < 200 && end_stream) {
            return Err(SendError::InvalidStatus);
        }
        Self::check_fields(headers)?;
        let s = self.writable(stream_id)?;
        if s.headers_sent || s.end_queued {
            return Err(SendError::InvalidState);
        }
        if status >= 200 {
            s.headers_sent = true;
        }
        if end_stream {
            s.end_queued = true;
            s.send_closed = true;
        }
        let digits = [
            b'0' + (status / 100) as u8,
            b'0' + (status / 10 % 10) as u8,
            b'0' + (status % 10) as u8,
        ];
        let fields = core::iter::once(Header {
            name: b":status",
            value: &digits,
            sensitive: false,
        })
        .chain(headers.iter().map(|(n, v)| Header {
            name: n,
            value: v,
            sensitive: false,
        }));
        self.write_headers(stream_id, fields, end_stream);
        if end_stream {
            self.maybe_close(stream_id);
        }
        Ok(())
    }

    fn write_headers<'a, I: IntoIterator<Item = Header<'a>>>(
        &mut self,
        id: u32,
        fields: I,
        end_stream: bool,
    ) {
        self.scratch.clear();
        self.enc.encode(fields, &mut self.scratch);
        let max = self.peer.max_frame_size as usize;
        let mut chunks = self.scratch.chunks(max.max(1));
        let first = chunks.next().unwrap_or(&[]);
        let mut rest = chunks.peekable();
        let mut fl = if end_stream { flags::END_STREAM } else { 0 };
        if rest.peek().is_none() {
            fl |= flags::END_HEADERS;
        }
        write_header(&mut self.out, first.len(), kind::HEADERS, fl, id);
        self.out.extend_from_slice(first);
        while let Some(c) = rest.next() {
            let fl = if rest.peek().is_none() {
                flags::END_HEADERS
            } else {
                0
            };
            write_header(&mut self.out, c.len(), kind::CONTINUATION, fl, id);
            self.out.extend_from_slice(c);
        }
    }

    /// Queues response body bytes. Returns how many were accepted: fewer than
    /// `data.len()` when the stream's or connection's send buffer is full
    /// (backpressure; an [`Event::SendCapacity`] follows when there is room). Bytes
    /// leave through `poll_transmit` as the peer's flow-control windows allow,
    /// interleaved fairly with other streams. `end_stream` takes effect only when
    /// every byte was accepted.
    pub fn send_data(
        &mut self,
        stream_id: u32,
        data: &[u8],
        end_stream: bool,
    ) -> Result<usize, SendError> {
        let conn_room = (self.cfg.max_send_buffer as usize).saturating_sub(self.buffered_total);
        let per = self.cfg.max_send_buffer_per_stream as usize;
        let s = self.writable(stream_id)?;
        if !s.headers_sent || s.end_queued {
            return Err(SendError::InvalidState);
        }
        let n = data
            .len()
            .min(per.saturating_sub(s.buf.len()))
            .min(conn_room);
        s.buf.extend(data.get(..n).unwrap_or(&[]));
        if n < data.len() {
            s.wants_capacity = true;
        } else if end_stream {
            s.end_queued = true;
        }
        self.buffered_total += n;
        self.enqueue(stream_id);
        Ok(n)
    }

    /// Ends the response with trailers (after all queued DATA).
    pub fn send_trailers(
        &mut self,
        stream_id: u32,
        trailers: &[(&[u8], &[u8])],
    ) -> Result<(), SendError> {
        Self::check_fields(trailers)?;
        let s = self.writable(stream_id)?;
        if !s.headers_sent || s.end_queued {
            return Err(SendError::InvalidState);
        }
        let mut l = HeaderList::new();
        for (n, v) in trailers {
            l.push(n, v, false);
        }
        s.trailers = Some(l);
        s.end_queued = true;
        self.enqueue(stream_id);
        Ok(())
    }

    /// Resets a stream (the application's own cancellation: never counted against
    /// the peer's error budgets).
    pub fn reset(&mut self, stream_id: u32, code: ErrorCode) -> Result<(), SendError> {
        self.writable(stream_id)?;
        self.reset_inner(stream_id, code, true);
        Ok(())
    }

    /// Sends a PING; the answer arrives as [`Event::PingAcknowledged`].
    pub fn ping(&mut self, data: [u8; 8]) -> Result<(), SendError> {
        if self.state == State::Closed {
            return Err(SendError::ConnectionClosed);
        }
        Frame::Ping { ack: false, data }.encode(&mut self.out);
        Ok(())
    }

    /// Immediate shutdown: GOAWAY with `code`, last-stream-id = the highest stream we
    /// processed; the connection is closed at once.
    pub fn goaway(&mut self, code: ErrorCode, debug: &'static str) {
        self.conn_error(code, debug);
    }

    /// The graceful close, under the name every Viper protocol type uses: the same as
    /// [`graceful_shutdown`](Self::graceful_shutdown).
    pub fn close(&mut self) {
        self.graceful_shutdown()
    }

    /// Graceful shutdown (RFC 9113 §6.8): GOAWAY(2^31-1, NO_ERROR) and a PING; after
    /// the PING round trip (or `shutdown_ping_timeout`) a second GOAWAY names the real
    /// last stream. Streams up to it finish; later ones are ignored. The connection
    /// reports [`Event::ConnectionTerminated`] once all streams ended.
    pub fn graceful_shutdown(&mut self) {
        if self.state == State::Closed || self.shutdown_ping.is_some() || self.goaway_sent.is_some()
        {
            return;
        }
        Frame::GoAway {
            last_stream_id: MAX_WINDOW_SIZE,
            error_code: ErrorCode::NO_ERROR,
            debug: b"graceful shutdown",
        }
        .encode(&mut self.out);
        Frame::Ping {
            ack: false,
            data: GRACEFUL_PING,
        }
        .encode(&mut self.out);
        self.shutdown_ping = Some(self.now + self.cfg.shutdown_ping_timeout);
    }

    fn finish_graceful(&mut self) {
        if self.shutdown_ping.take().is_none() {
            return;
        }
        let last = self.highest_id;
        Frame::GoAway {
            last_stream_id: last,
            error_code: ErrorCode::NO_ERROR,
            debug: b"graceful shutdown",
        }
        .encode(&mut self.out);
        self.goaway_sent = Some(last);
        self.check_drained();
    }

    // ------------------------------------------------------------------ output

    fn enqueue(&mut self, id: u32) {
        if let Some(s) = self.streams.get_mut(&id) {
            if !s.queued && s.has_pending() {
                s.queued = true;
                if let Some(q) = self.ready.get_mut(usize::from(s.urgency.min(7))) {
                    q.push_back(id);
                }
            }
        }
    }

    fn next_ready(&mut self) -> Option<u32> {
        self.ready.iter_mut().find_map(|q| q.pop_front())
    }

    /// Bytes to write to the peer, or `None` when there is nothing to send. Calling it
    /// again without [`advance_transmit`](Self::advance_transmit) shows the same bytes
    /// first (frames queued since then follow them). Control frames come first, then
    /// DATA of the ready streams, round robin within RFC 9218 urgency levels, within
    /// the peer's windows and at most `max_transmit_chunk` bytes per scheduling round.
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        self.pending_settings_ack = false;
        self.pending_pong = false;
        if self.handed >= self.out.len() {
            self.out.clear();
            self.handed = 0;
            if self.state != State::Closed {
                self.schedule();
            }
        }
        let rest = self.out.get(self.handed..).unwrap_or(&[]);
        if rest.is_empty() {
            None
        } else {
            Some(rest)
        }
    }

    /// The first `n` bytes shown by [`poll_transmit`](Self::poll_transmit) were
    /// written; the next call resumes right after them.
    pub fn advance_transmit(&mut self, n: usize) {
        self.handed = self.handed.saturating_add(n).min(self.out.len());
        if self.handed == self.out.len() {
            self.out.clear();
            self.handed = 0;
        } else if self.handed > 64 * 1024 && self.handed > self.out.len() / 2 {
            self.out.drain(..self.handed);
            self.handed = 0;
        }
    }

    /// The peer closed its sending side. An incomplete preface or frame is a
    /// PROTOCOL_ERROR; otherwise streams in progress cannot complete, and the
    /// connection ends with GOAWAY(NO_ERROR). Either way
    /// [`Event::ConnectionTerminated`] follows.
    pub fn receive_eof(&mut self) {
        if self.state == State::Closed {
            return;
        }
        if matches!(self.state, State::Preface(_)) || !self.rbuf.is_empty() || self.block.is_some()
        {
            self.conn_error(ErrorCode::PROTOCOL_ERROR, "connection closed mid-frame");
        } else {
            self.conn_error(ErrorCode::NO_ERROR, "peer closed");
        }
    }

    fn schedule(&mut self) {
        let budget = self.cfg.max_transmit_chunk as usize;
        let mut progress = false;
        let mut blocked = false;
        let mut requeue: Vec<u32> = Vec::new();
        while self.out.len() < budget {
            let Some(id) = self.next_ready() else { break };
            let max_frame = self.peer.max_frame_size as usize;
            let conn_window = self.conn_send_window;
            let Some(s) = self.streams.get_mut(&id) else {
                continue;
            };
            s.queued = false;
            if s.buf.is_empty() {
                if s.end_queued && !s.send_closed {
                    s.send_closed = true;
                    if let Some(t) = s.trailers.take() {
                        let it = t.iter().map(|f| Header {
                            name: f.name,
                            value: f.value,
                            sensitive: f.sensitive,
                        });
                        // Borrow of `t` is local; encode into the output.
                        self.scratch.clear();
                        self.enc.encode(it, &mut self.scratch);
                        let block = core::mem::take(&mut self.scratch);
                        self.write_block(id, &block);
                        self.scratch = block;
                    } else {
                        write_header(&mut self.out, 0, kind::DATA, flags::END_STREAM, id);
                    }
                    progress = true;
                    self.maybe_close(id);
                }
                continue;
            }
            let window = s.send_window.min(conn_window);
            if window <= 0 {
                if conn_window <= 0 {
                    requeue.push(id);
                    s.queued = true;
                }
                blocked = true;
                continue;
            }
            let n = s
                .buf
                .len()
                .min(window as usize)
                .min(max_frame)
                .min(budget.saturating_sub(self.out.len()).max(1));
            let eos = s.end_queued && s.trailers.is_none() && n == s.buf.len();
            write_header(
                &mut self.out,
                n,
                kind::DATA,
                if eos { flags::END_STREAM } else { 0 },
                id,
            );
            let (a, b) = s.buf.as_slices();
            let na = n.min(a.len());
            self.out.extend_from_slice(a.get(..na).unwrap_or(&[]));
            self.out.extend_from_slice(b.get(..n - na).unwrap_or(&[]));
            s.buf.drain(..n);
            s.send_window -= n as i64;
            self.conn_send_window -= n as i64;
            self.buffered_total = self.buffered_total.saturating_sub(n);
            progress = true;
            if eos {
                s.send_closed = true;
            }
            let cap_event =
                s.wants_capacity && s.buf.len() < self.cfg.max_send_buffer_per_stream as usize / 2;
            if cap_event {
                s.wants_capacity = false;
            }
            let more = s.has_pending();
            if cap_event {
                self.push_event(Event::SendCapacity { stream_id: id });
            }
            if eos {
                self.maybe_close(id);
            } else if more {
                self.enqueue(id);
            }
        }
        // Streams blocked only by the connection window wait at the front.
        for id in requeue.into_iter().rev() {
            if let Some(s) = self.streams.get(&id) {
                if let Some(q) = self.ready.get_mut(usize::from(s.urgency.min(7))) {
                    q.push_front(id);
                }
            }
        }
        // Give connection-wide buffer room back to streams that asked for it.
        if self.buffered_total < self.cfg.max_send_buffer as usize / 2 && progress {
            let ids: Vec<u32> = self
                .streams
                .iter_mut()
                .filter(|(_, s)| s.wants_capacity && s.buf.is_empty())
                .map(|(k, s)| {
                    s.wants_capacity = false;
                    *k
                })
                .collect();
            for id in ids {
                self.push_event(Event::SendCapacity { stream_id: id });
            }
        }
        if progress || self.buffered_total == 0 {
            self.stall_since = None;
        } else if blocked && self.stall_since.is_none() {
            self.stall_since = Some(self.now);
        }
    }

    fn write_block(&mut self, id: u32, block: &[u8]) {
        let max = (self.peer.max_frame_size as usize).max(1);
        let mut chunks = block.chunks(max).peekable();
        let first = chunks.next().unwrap_or(&[]);
        let mut fl = flags::END_STREAM;
        if chunks.peek().is_none() {
            fl |= flags::END_HEADERS;
        }
        write_header(&mut self.out, first.len(), kind::HEADERS, fl, id);
        self.out.extend_from_slice(first);
        while let Some(c) = chunks.next() {
            let fl = if chunks.peek().is_none() {
                flags::END_HEADERS
            } else {
                0
            };
            write_header(&mut self.out, c.len(), kind::CONTINUATION, fl, id);
            self.out.extend_from_slice(c);
        }
    }

    // ------------------------------------------------------------------ time

    /// The next deadline (SETTINGS ACK, stalled send window, graceful-shutdown PING).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        let stall = self.stall_since.map(|t| t + self.cfg.send_stall_timeout);
        Instant::earliest(
            Instant::earliest(self.settings_deadline, stall),
            self.shutdown_ping,
        )
    }

    /// Advances the connection's clock to `now` and fires expired timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
        if self.state == State::Closed {
            return;
        }
        if self.settings_deadline.is_some_and(|d| d <= now) {
            self.conn_error(ErrorCode::SETTINGS_TIMEOUT, "SETTINGS not acknowledged");
            return;
        }
        if self
            .stall_since
            .is_some_and(|t| t + self.cfg.send_stall_timeout <= now)
        {
            self.conn_error(ErrorCode::ENHANCE_YOUR_CALM, "send window stalled");
            return;
        }
        if self.shutdown_ping.is_some_and(|d| d <= now) {
            self.finish_graceful();
        }
        self.prune_closed();
    }
}

impl Stream {
    fn has_pending(&self) -> bool {
        !self.buf.is_empty() || (self.end_queued && !self.send_closed)
    }
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("state", &self.state)
            .field("streams", &self.streams.len())
            .field("highest_id", &self.highest_id)
            .finish()
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
    /// HTTP/2's graceful close: [`Connection::graceful_shutdown`].
    fn close(&mut self) {
        Connection::graceful_shutdown(self)
    }
    fn is_closed(&self) -> bool {
        Connection::is_closed(self)
    }
}
