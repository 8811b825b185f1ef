#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

mod conn;
pub mod frame;
mod headers;

pub use conn::{Connection, H2cUpgrade, STREAM_STATE_SIZE};
pub use headers::{Field, HeaderList, RequestHead};

use core::fmt;
use viper_core::Duration;

/// An HTTP/2 error code (RFC 9113 §7). Unknown codes are kept as they are.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub u32);

impl ErrorCode {
    /// Graceful shutdown / no error.
    pub const NO_ERROR: ErrorCode = ErrorCode(0x0);
    /// Unspecific protocol error.
    pub const PROTOCOL_ERROR: ErrorCode = ErrorCode(0x1);
    /// Unexpected internal error.
    pub const INTERNAL_ERROR: ErrorCode = ErrorCode(0x2);
    /// Flow-control protocol violated.
    pub const FLOW_CONTROL_ERROR: ErrorCode = ErrorCode(0x3);
    /// SETTINGS not acknowledged in time.
    pub const SETTINGS_TIMEOUT: ErrorCode = ErrorCode(0x4);
    /// Frame received on a half-closed stream.
    pub const STREAM_CLOSED: ErrorCode = ErrorCode(0x5);
    /// Frame with an invalid size.
    pub const FRAME_SIZE_ERROR: ErrorCode = ErrorCode(0x6);
    /// Stream refused before any processing.
    pub const REFUSED_STREAM: ErrorCode = ErrorCode(0x7);
    /// Stream no longer needed.
    pub const CANCEL: ErrorCode = ErrorCode(0x8);
    /// Header compression state can't be maintained.
    pub const COMPRESSION_ERROR: ErrorCode = ErrorCode(0x9);
    /// CONNECT tunnel reset.
    pub const CONNECT_ERROR: ErrorCode = ErrorCode(0xa);
    /// The peer is generating excessive load.
    pub const ENHANCE_YOUR_CALM: ErrorCode = ErrorCode(0xb);
    /// Transport security inadequate.
    pub const INADEQUATE_SECURITY: ErrorCode = ErrorCode(0xc);
    /// Use HTTP/1.1 instead.
    pub const HTTP_1_1_REQUIRED: ErrorCode = ErrorCode(0xd);

    /// The RFC name of a known code.
    pub fn name(self) -> Option<&'static str> {
        const NAMES: [&str; 14] = [
            "NO_ERROR",
            "PROTOCOL_ERROR",
            "INTERNAL_ERROR",
            "FLOW_CONTROL_ERROR",
            "SETTINGS_TIMEOUT",
            "STREAM_CLOSED",
            "FRAME_SIZE_ERROR",
            "REFUSED_STREAM",
            "CANCEL",
            "COMPRESSION_ERROR",
            "CONNECT_ERROR",
            "ENHANCE_YOUR_CALM",
            "INADEQUATE_SECURITY",
            "HTTP_1_1_REQUIRED",
        ];
        NAMES.get(self.0 as usize).copied()
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "ErrorCode({:#x})", self.0),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Every limit and timer of a connection. `Config::default()` is safe for a public
/// server; see the crate README for the table.
#[derive(Clone, Debug)]
pub struct Config {
    /// SETTINGS_MAX_CONCURRENT_STREAMS we announce; streams beyond get REFUSED_STREAM.
    pub max_concurrent_streams: u32,
    /// Announce SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 and accept extended CONNECT
    /// requests carrying `:protocol` (RFC 8441; WebSocket over HTTP/2). Default `false`:
    /// a `:protocol` field is then a malformed request.
    pub enable_connect_protocol: bool,
    /// SETTINGS_INITIAL_WINDOW_SIZE we announce (per-stream receive window).
    pub initial_window_size: u32,
    /// Connection receive window (raised from 65 535 with a WINDOW_UPDATE at start).
    pub connection_window_size: u32,
    /// SETTINGS_MAX_FRAME_SIZE we announce; larger frames are a FRAME_SIZE_ERROR.
    pub max_frame_size: u32,
    /// SETTINGS_HEADER_TABLE_SIZE we announce (HPACK decoder table).
    pub header_table_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE we announce and enforce (431 beyond it).
    pub max_header_list_size: u32,
    /// Header fields per block (431 beyond it; "HPACK bomb" guard).
    pub max_header_count: u32,
    /// HPACK encoder table we are willing to use for responses.
    pub encoder_table_size: u32,
    /// Compressed bytes of one header block (HEADERS + CONTINUATIONs); beyond:
    /// GOAWAY ENHANCE_YOUR_CALM "header block too large".
    pub max_header_block_size: u32,
    /// CONTINUATION frames per header block; beyond: GOAWAY ENHANCE_YOUR_CALM.
    pub max_continuation_frames: u32,
    /// Entries per SETTINGS frame; beyond: GOAWAY ENHANCE_YOUR_CALM.
    pub max_settings_entries: u32,
    /// When true (default) received DATA is credited back to the peer's stream and
    /// connection windows as soon as its event is polled.
    ///
    /// When false (per-stream backpressure) the connection window is still credited
    /// when the [`Event::Data`] is polled, but the stream window only when the
    /// application calls [`Connection::release_capacity`]. A body nobody reads thus
    /// closes its own stream's window and never the connection's: the bytes the
    /// application holds unreleased are bounded by the stream windows, at most
    /// `max_concurrent_streams × initial_window_size` (25 MiB with the defaults; lower
    /// either for a small device), plus whatever it keeps of streams that have closed.
    pub auto_release: bool,
    /// Per-stream buffer of DATA accepted by `send_data` but not yet sent.
    pub max_send_buffer_per_stream: u32,
    /// Connection-wide total of those buffers.
    pub max_send_buffer: u32,
    /// Output bytes `poll_transmit` hands out at most per call (DATA stops there).
    pub max_transmit_chunk: u32,
    /// Pending control output or queued events beyond which `receive` stops
    /// consuming input (read-side backpressure).
    pub max_pending_output: u32,
    /// Queued events beyond which `receive` stops consuming input.
    pub max_queued_events: u32,
    /// Streams reset by the peer before the application polled their request
    /// (CVE-2023-44487); beyond: GOAWAY ENHANCE_YOUR_CALM "rapid reset".
    pub max_pending_accept_resets: u32,
    /// Token bucket for peer RST_STREAM on unfinished streams: burst.
    pub peer_reset_burst: u32,
    /// ... and refill per second.
    pub peer_reset_rate: u32,
    /// Token bucket for stream errors the peer makes us send (MadeYouReset,
    /// CVE-2025-8671 / CVE-2019-9514): burst.
    pub local_reset_burst: u32,
    /// ... and refill per second.
    pub local_reset_rate: u32,
    /// Token bucket for empty frames (DATA without END_STREAM, HEADERS/CONTINUATION
    /// without END_HEADERS; CVE-2019-9518): burst.
    pub empty_frame_burst: u32,
    /// ... and refill per second.
    pub empty_frame_rate: u32,
    /// DATA frames shorter than this (and not ending the stream) are "tiny".
    pub tiny_data_len: u32,
    /// Token bucket for tiny DATA frames: burst.
    pub tiny_data_burst: u32,
    /// ... and refill per second.
    pub tiny_data_rate: u32,
    /// Token bucket for PRIORITY and PRIORITY_UPDATE frames (CVE-2019-9513: they cost
    /// O(1) and keep no state, but still cost a frame's processing and produce no
    /// output that read-side backpressure could catch): burst. Beyond: GOAWAY
    /// ENHANCE_YOUR_CALM "too many PRIORITY frames".
    pub priority_frame_burst: u32,
    /// ... and refill per second.
    pub priority_frame_rate: u32,
    /// Closed streams remembered (to tell STREAM_CLOSED from ignorable late frames).
    pub max_closed_streams: u32,
    /// How long a closed stream is remembered.
    pub closed_stream_ttl: Duration,
    /// Time the peer has to acknowledge our SETTINGS (SETTINGS_TIMEOUT beyond).
    pub settings_timeout: Duration,
    /// Time buffered DATA may wait on a zero send window before the connection is
    /// closed (ENHANCE_YOUR_CALM "send window stalled"; CVE-2019-9517).
    pub send_stall_timeout: Duration,
    /// Time a graceful shutdown waits for the PING round trip.
    pub shutdown_ping_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_concurrent_streams: 100,
            initial_window_size: 256 * 1024,
            connection_window_size: 1024 * 1024,
            max_frame_size: 16_384,
            header_table_size: 4_096,
            max_header_list_size: 16 * 1024,
            max_header_count: 128,
            encoder_table_size: 4_096,
            max_header_block_size: 64 * 1024,
            max_continuation_frames: 16,
            max_settings_entries: 32,
            auto_release: true,
            max_send_buffer_per_stream: 64 * 1024,
            max_send_buffer: 1024 * 1024,
            max_transmit_chunk: 64 * 1024,
            max_pending_output: 64 * 1024,
            max_queued_events: 1024,
            max_pending_accept_resets: 20,
            peer_reset_burst: 200,
            peer_reset_rate: 100,
            local_reset_burst: 200,
            local_reset_rate: 50,
            empty_frame_burst: 32,
            empty_frame_rate: 10,
            tiny_data_len: 32,
            tiny_data_burst: 1_000,
            tiny_data_rate: 500,
            priority_frame_burst: 1_000,
            priority_frame_rate: 500,
            max_closed_streams: 128,
            closed_stream_ttl: Duration::from_secs(30),
            settings_timeout: Duration::from_secs(10),
            send_stall_timeout: Duration::from_secs(30),
            shutdown_ping_timeout: Duration::from_secs(5),
            enable_connect_protocol: false,
        }
    }
}

/// The peer's settings as currently in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerSettings {
    /// SETTINGS_HEADER_TABLE_SIZE.
    pub header_table_size: u32,
    /// SETTINGS_ENABLE_PUSH.
    pub enable_push: bool,
    /// SETTINGS_MAX_CONCURRENT_STREAMS (None: unlimited).
    pub max_concurrent_streams: Option<u32>,
    /// SETTINGS_INITIAL_WINDOW_SIZE.
    pub initial_window_size: u32,
    /// SETTINGS_MAX_FRAME_SIZE.
    pub max_frame_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE (None: unlimited).
    pub max_header_list_size: Option<u32>,
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL.
    pub enable_connect_protocol: bool,
}

impl Default for PeerSettings {
    fn default() -> Self {
        PeerSettings {
            header_table_size: 4096,
            enable_push: true,
            max_concurrent_streams: None,
            initial_window_size: 65_535,
            max_frame_size: frame::MIN_MAX_FRAME_SIZE,
            max_header_list_size: None,
            enable_connect_protocol: false,
        }
    }
}

/// What happened on the connection, for the application. Poll with
/// [`Connection::poll_event`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A request head arrived on a new stream.
    Request {
        /// The stream.
        stream_id: u32,
        /// Method, scheme, authority, path and the other fields.
        head: RequestHead,
        /// True when the request has no body (a [`Event::StreamEnded`] follows).
        end_stream: bool,
    },
    /// Request body bytes.
    Data {
        /// The stream.
        stream_id: u32,
        /// The bytes (padding removed).
        data: alloc::vec::Vec<u8>,
        /// Bytes this frame took from the stream's flow-control window that the
        /// application must release (manual mode) with
        /// [`Connection::release_capacity`] (the connection window is credited when
        /// this event is polled); equal to
        /// `data.len()` (padding is released automatically), except 0 for the body of
        /// an upgraded h2c request, which never used HTTP/2 windows.
        flow_controlled_len: u32,
    },
    /// Request trailers (the stream ends; a [`Event::StreamEnded`] follows).
    Trailers {
        /// The stream.
        stream_id: u32,
        /// The trailer fields.
        trailers: HeaderList,
    },
    /// The peer finished sending on this stream.
    StreamEnded {
        /// The stream.
        stream_id: u32,
    },
    /// The stream was reset.
    StreamReset {
        /// The stream.
        stream_id: u32,
        /// The code.
        error_code: ErrorCode,
        /// True if the peer sent RST_STREAM, false if we did because of a peer error.
        remote: bool,
    },
    /// The stream's send buffer, which refused bytes earlier, has room again.
    SendCapacity {
        /// The stream.
        stream_id: u32,
    },
    /// The peer sent WINDOW_UPDATE (stream 0 = connection).
    WindowUpdated {
        /// The stream.
        stream_id: u32,
        /// The increment.
        increment: u32,
    },
    /// The peer's SETTINGS were applied (and acknowledged).
    RemoteSettings(PeerSettings),
    /// The peer acknowledged our SETTINGS.
    SettingsAcknowledged,
    /// RFC 9218 priority of a stream changed (PRIORITY_UPDATE).
    PriorityChanged {
        /// The stream.
        stream_id: u32,
        /// Urgency 0 (highest) ..= 7.
        urgency: u8,
        /// Incremental flag.
        incremental: bool,
    },
    /// The peer answered one of our PINGs.
    PingAcknowledged {
        /// The opaque data.
        data: [u8; 8],
    },
    /// The peer sent GOAWAY.
    GoAwayReceived {
        /// Last stream it will process.
        last_stream_id: u32,
        /// Its code.
        error_code: ErrorCode,
    },
    /// The connection is over: flush `poll_transmit` and close the socket.
    ConnectionTerminated {
        /// The code (sent or received).
        error_code: ErrorCode,
        /// Last stream processed.
        last_stream_id: u32,
        /// The GOAWAY debug string (ours) or "peer GOAWAY".
        reason: &'static str,
        /// True if the peer ended it.
        remote: bool,
    },
}

/// Why a command was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// No such open stream (never opened, closed or reset).
    UnknownStream,
    /// The stream's state does not allow this (e.g. DATA before the response head,
    /// anything after END_STREAM).
    InvalidState,
    /// A header field name or value is not valid HTTP/2 (uppercase, connection-specific,
    /// control characters).
    InvalidHeader,
    /// The status code is not 100..=999, or a 1xx with `end_stream`.
    InvalidStatus,
    /// The connection is closed or closing.
    ConnectionClosed,
    /// More capacity released than was received.
    TooMuchReleased,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Why an h2c upgrade could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpgradeError {
    /// The HTTP2-Settings payload is not a valid SETTINGS payload.
    InvalidSettings(ErrorCode),
    /// The request head cannot be expressed in HTTP/2.
    InvalidRequest,
}
