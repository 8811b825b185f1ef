//! Close codes and the errors a peer can cause.

use core::fmt;

/// A close status code (RFC 6455 §7.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: normal closure.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away.
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: a data type the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005: no status code was present (never sent on the wire).
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: closed without a close frame (never sent on the wire).
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: data inconsistent with the message type (e.g. invalid UTF-8).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: policy violation.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: message too big.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: internal server error.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);
    /// 1015: TLS handshake failure (never sent on the wire).
    pub const TLS_HANDSHAKE: CloseCode = CloseCode(1015);

    /// Whether this code may appear in a close frame: 1000–1003, 1007–1014
    /// (IANA-registered) and 3000–4999 (libraries and applications). 1004,
    /// 1005, 1006, 1015, the rest of 1000–2999 and everything else is refused.
    pub fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

/// A violation by the peer (or a timer expiry) that ended the connection.
///
/// [`Error::close_code`] is the code this endpoint sent in its close frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// RSV2/RSV3 set, or RSV1 set without permessage-deflate, on a control
    /// frame or on a continuation frame. (1002)
    ReservedBits,
    /// Opcode 3–7 or 11–15. (1002)
    ReservedOpcode(u8),
    /// A control frame with FIN clear. (1002)
    FragmentedControlFrame,
    /// A control frame with a payload over 125 bytes. (1002)
    ControlFrameTooLong,
    /// A server received an unmasked frame. (1002)
    UnmaskedFrame,
    /// A client received a masked frame. (1002)
    MaskedFrame,
    /// The payload length was not in its minimal encoding, or had the top bit set. (1002)
    NonMinimalLength,
    /// A continuation frame with no message in progress. (1002)
    UnexpectedContinuation,
    /// A new text/binary frame while a fragmented message was in progress. (1002)
    ExpectedContinuation,
    /// A close frame with a one-byte payload. (1002)
    InvalidClosePayload,
    /// A close frame with a code not allowed on the wire. (1002)
    InvalidCloseCode(u16),
    /// Compressed data that does not inflate. (1002)
    Decompression,
    /// A text message or close reason that is not UTF-8. (1007)
    InvalidUtf8,
    /// A frame longer than `Config::max_frame_size`. (1009)
    FrameTooLarge,
    /// A message longer than `Config::max_message_size`, after decompression. (1009)
    MessageTooLarge,
    /// No pong arrived within `Config::pong_timeout` of a keep-alive ping. (no close frame)
    PongTimeout,
    /// The peer did not answer our close frame within `Config::close_timeout`. (no close frame)
    CloseTimeout,
    /// The peer's TCP stream ended without a close handshake (reported as 1006;
    /// no close frame is sent).
    ConnectionLost,
}

impl Error {
    /// The close code sent to the peer for this error, if any.
    pub fn close_code(self) -> Option<CloseCode> {
        use Error::*;
        match self {
            ReservedBits
            | ReservedOpcode(_)
            | FragmentedControlFrame
            | ControlFrameTooLong
            | UnmaskedFrame
            | MaskedFrame
            | NonMinimalLength
            | UnexpectedContinuation
            | ExpectedContinuation
            | InvalidClosePayload
            | InvalidCloseCode(_)
            | Decompression => Some(CloseCode::PROTOCOL_ERROR),
            InvalidUtf8 => Some(CloseCode::INVALID_PAYLOAD),
            FrameTooLarge | MessageTooLarge => Some(CloseCode::MESSAGE_TOO_BIG),
            PongTimeout | CloseTimeout | ConnectionLost => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        let s = match self {
            ReservedBits => "reserved bits set",
            ReservedOpcode(_) => "reserved opcode",
            FragmentedControlFrame => "fragmented control frame",
            ControlFrameTooLong => "control frame payload over 125 bytes",
            UnmaskedFrame => "unmasked frame from client",
            MaskedFrame => "masked frame from server",
            NonMinimalLength => "payload length not minimally encoded",
            UnexpectedContinuation => "continuation frame without a message",
            ExpectedContinuation => "new message while a fragmented one is in progress",
            InvalidClosePayload => "close frame with a 1-byte payload",
            InvalidCloseCode(_) => "close code not allowed on the wire",
            Decompression => "permessage-deflate data does not inflate",
            InvalidUtf8 => "invalid UTF-8",
            FrameTooLarge => "frame too large",
            MessageTooLarge => "message too large",
            PongTimeout => "pong timeout",
            CloseTimeout => "close handshake timeout",
            ConnectionLost => "connection lost without a close handshake",
        };
        f.write_str(s)
    }
}

#[cfg(feature = "std")]
extern crate std;
#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// Why a `send_*` call was refused. Nothing was queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// A close frame was already sent (or the connection failed); no more
    /// data may be sent (RFC 6455 §5.5.1).
    Closed,
    /// The output buffer holds more than `Config::max_pending_output` bytes;
    /// drain `poll_transmit` first.
    WouldBlock,
    /// Control frame payloads (and close reasons + 2) are limited to 125 bytes.
    ControlTooLong,
    /// The close code may not be sent (1005, 1006, 1015, reserved ranges).
    InvalidCloseCode,
    /// Text that is not UTF-8 (for `send_fragment` of text).
    InvalidUtf8,
    /// `send_fragment` with a kind different from the message in progress.
    KindMismatch,
    /// A single-frame send while a fragmented message is in progress.
    MessageInProgress,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SendError {}
