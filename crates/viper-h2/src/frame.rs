//! The HTTP/2 frame layer (RFC 9113 §4 and §6), written for both directions.
//!
//! [`FrameHeader::parse`] reads the 9-octet header, [`Frame::decode`] validates a
//! complete frame (length, padding, flags, stream identifier) and borrows its payload,
//! and [`Frame::encode`] writes one. Unknown frame types decode to
//! [`Frame::Unknown`] and unknown flags are ignored, as §4.1 and §5.5 require.

use alloc::vec::Vec;

use crate::ErrorCode;

/// Length of the fixed frame header.
pub const FRAME_HEADER_LEN: usize = 9;
/// The client connection preface (§3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Smallest allowed SETTINGS_MAX_FRAME_SIZE (and its initial value).
pub const MIN_MAX_FRAME_SIZE: u32 = 16_384;
/// Largest allowed SETTINGS_MAX_FRAME_SIZE.
pub const MAX_MAX_FRAME_SIZE: u32 = 16_777_215;
/// Largest flow-control window (2^31 - 1).
pub const MAX_WINDOW_SIZE: u32 = 0x7fff_ffff;

/// Frame type codes.
pub mod kind {
    /// DATA
    pub const DATA: u8 = 0x0;
    /// HEADERS
    pub const HEADERS: u8 = 0x1;
    /// PRIORITY
    pub const PRIORITY: u8 = 0x2;
    /// RST_STREAM
    pub const RST_STREAM: u8 = 0x3;
    /// SETTINGS
    pub const SETTINGS: u8 = 0x4;
    /// PUSH_PROMISE
    pub const PUSH_PROMISE: u8 = 0x5;
    /// PING
    pub const PING: u8 = 0x6;
    /// GOAWAY
    pub const GOAWAY: u8 = 0x7;
    /// WINDOW_UPDATE
    pub const WINDOW_UPDATE: u8 = 0x8;
    /// CONTINUATION
    pub const CONTINUATION: u8 = 0x9;
    /// PRIORITY_UPDATE (RFC 9218 §7.1)
    pub const PRIORITY_UPDATE: u8 = 0x10;
}

/// Frame flag bits.
pub mod flags {
    /// END_STREAM (DATA, HEADERS)
    pub const END_STREAM: u8 = 0x1;
    /// ACK (SETTINGS, PING)
    pub const ACK: u8 = 0x1;
    /// END_HEADERS (HEADERS, PUSH_PROMISE, CONTINUATION)
    pub const END_HEADERS: u8 = 0x4;
    /// PADDED (DATA, HEADERS, PUSH_PROMISE)
    pub const PADDED: u8 = 0x8;
    /// PRIORITY (HEADERS)
    pub const PRIORITY: u8 = 0x20;
}

/// SETTINGS parameter identifiers.
pub mod setting {
    /// SETTINGS_HEADER_TABLE_SIZE
    pub const HEADER_TABLE_SIZE: u16 = 0x1;
    /// SETTINGS_ENABLE_PUSH
    pub const ENABLE_PUSH: u16 = 0x2;
    /// SETTINGS_MAX_CONCURRENT_STREAMS
    pub const MAX_CONCURRENT_STREAMS: u16 = 0x3;
    /// SETTINGS_INITIAL_WINDOW_SIZE
    pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
    /// SETTINGS_MAX_FRAME_SIZE
    pub const MAX_FRAME_SIZE: u16 = 0x5;
    /// SETTINGS_MAX_HEADER_LIST_SIZE
    pub const MAX_HEADER_LIST_SIZE: u16 = 0x6;
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441)
    pub const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;
    /// SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218)
    pub const NO_RFC7540_PRIORITIES: u16 = 0x9;
}

/// The fixed 9-octet frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload length (24 bits).
    pub length: u32,
    /// Frame type.
    pub kind: u8,
    /// Flags.
    pub flags: u8,
    /// Stream identifier (reserved bit cleared).
    pub stream_id: u32,
}

impl FrameHeader {
    /// Parses a frame header from the first 9 bytes of `b`, or `None` if `b` is shorter.
    pub fn parse(b: &[u8]) -> Option<FrameHeader> {
        let h: &[u8; FRAME_HEADER_LEN] = b.get(..FRAME_HEADER_LEN)?.try_into().ok()?;
        Some(FrameHeader {
            length: u32::from_be_bytes([0, h[0], h[1], h[2]]),
            kind: h[3],
            flags: h[4],
            stream_id: u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & MAX_WINDOW_SIZE,
        })
    }

    /// Appends this header to `dst`. `length` must fit 24 bits.
    pub fn write(&self, dst: &mut Vec<u8>) {
        dst.extend_from_slice(&self.to_bytes());
    }

    /// The 9 octets of this header. `length` must fit 24 bits.
    pub fn to_bytes(&self) -> [u8; FRAME_HEADER_LEN] {
        let l = self.length.to_be_bytes();
        let s = (self.stream_id & MAX_WINDOW_SIZE).to_be_bytes();
        [
            l[1], l[2], l[3], self.kind, self.flags, s[0], s[1], s[2], s[3],
        ]
    }
}

/// RFC 7540 priority information (HEADERS with PRIORITY flag, PRIORITY frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrioritySpec {
    /// Stream this one depends on.
    pub dependency: u32,
    /// Exclusive flag.
    pub exclusive: bool,
    /// Weight minus one, as on the wire.
    pub weight: u8,
}

impl PrioritySpec {
    fn parse(b: &[u8; 5]) -> PrioritySpec {
        let d = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        PrioritySpec {
            dependency: d & MAX_WINDOW_SIZE,
            exclusive: d & 0x8000_0000 != 0,
            weight: b[4],
        }
    }
    fn write(&self, dst: &mut Vec<u8>) {
        let mut d = self.dependency & MAX_WINDOW_SIZE;
        if self.exclusive {
            d |= 0x8000_0000;
        }
        dst.extend_from_slice(&d.to_be_bytes());
        dst.push(self.weight);
    }
}

/// One decoded frame, borrowing its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// DATA (§6.1).
    Data {
        /// Stream.
        stream_id: u32,
        /// END_STREAM flag.
        end_stream: bool,
        /// Data without padding.
        data: &'a [u8],
        /// Padding length field plus padding (0 when not padded); counts for flow control.
        pad_len: u32,
    },
    /// HEADERS (§6.2).
    Headers {
        /// Stream.
        stream_id: u32,
        /// END_STREAM flag.
        end_stream: bool,
        /// END_HEADERS flag.
        end_headers: bool,
        /// Priority fields when the PRIORITY flag is set.
        priority: Option<PrioritySpec>,
        /// Header block fragment.
        fragment: &'a [u8],
        /// Padding length field plus padding (0 when not padded).
        pad_len: u32,
    },
    /// PRIORITY (§6.3).
    Priority {
        /// Stream.
        stream_id: u32,
        /// Priority fields.
        priority: PrioritySpec,
    },
    /// RST_STREAM (§6.4).
    RstStream {
        /// Stream.
        stream_id: u32,
        /// Error code.
        error_code: ErrorCode,
    },
    /// SETTINGS (§6.5); iterate the parameters with [`settings_iter`].
    Settings {
        /// ACK flag.
        ack: bool,
        /// Raw parameter list (a multiple of 6 bytes).
        payload: &'a [u8],
    },
    /// PUSH_PROMISE (§6.6).
    PushPromise {
        /// Stream.
        stream_id: u32,
        /// END_HEADERS flag.
        end_headers: bool,
        /// Promised stream.
        promised_id: u32,
        /// Header block fragment.
        fragment: &'a [u8],
    },
    /// PING (§6.7).
    Ping {
        /// ACK flag.
        ack: bool,
        /// Opaque data.
        data: [u8; 8],
    },
    /// GOAWAY (§6.8).
    GoAway {
        /// Last stream the sender processed.
        last_stream_id: u32,
        /// Error code.
        error_code: ErrorCode,
        /// Debug data.
        debug: &'a [u8],
    },
    /// WINDOW_UPDATE (§6.9).
    WindowUpdate {
        /// Stream (0 = connection).
        stream_id: u32,
        /// Increment (1..=2^31-1).
        increment: u32,
    },
    /// CONTINUATION (§6.10).
    Continuation {
        /// Stream.
        stream_id: u32,
        /// END_HEADERS flag.
        end_headers: bool,
        /// Header block fragment.
        fragment: &'a [u8],
    },
    /// PRIORITY_UPDATE (RFC 9218 §7.1).
    PriorityUpdate {
        /// The stream whose priority changes.
        prioritized_id: u32,
        /// The Priority Field Value (structured field dictionary, ASCII).
        field_value: &'a [u8],
    },
    /// A frame of an unknown type; to be ignored (§5.5).
    Unknown {
        /// Its header.
        header: FrameHeader,
    },
}

/// Why a frame could not be decoded, and whether it is a stream or connection error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameError {
    /// The HTTP/2 error code to answer with.
    pub code: ErrorCode,
    /// `Some(id)` when a stream error on `id` suffices; `None` for a connection error.
    pub stream_id: Option<u32>,
    /// A short description (used as GOAWAY debug data).
    pub reason: &'static str,
}

const fn conn_err(code: ErrorCode, reason: &'static str) -> FrameError {
    FrameError {
        code,
        stream_id: None,
        reason,
    }
}

/// Splits padding off a payload: returns (content, padding length field + padding).
fn unpad(flags_: u8, payload: &[u8]) -> Result<(&[u8], u32), FrameError> {
    if flags_ & flags::PADDED == 0 {
        return Ok((payload, 0));
    }
    let (&pad, rest) = payload.split_first().ok_or(conn_err(
        ErrorCode::FRAME_SIZE_ERROR,
        "padded frame without pad length",
    ))?;
    let pad = usize::from(pad);
    if pad > rest.len() {
        return Err(conn_err(
            ErrorCode::PROTOCOL_ERROR,
            "padding exceeds payload",
        ));
    }
    let content = rest.get(..rest.len() - pad).unwrap_or(&[]);
    // pad + 1 ≤ 256: fits.
    Ok((content, pad as u32 + 1))
}

fn be32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    u32::from_be_bytes(a)
}

impl<'a> Frame<'a> {
    /// Decodes and validates a frame whose header is `h` and whose payload is `payload`
    /// (`payload.len()` must equal `h.length`; callers enforce SETTINGS_MAX_FRAME_SIZE
    /// before reading the payload).
    pub fn decode(h: &FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, FrameError> {
        let sid = h.stream_id;
        let need_stream = |what: &'static str| {
            if sid == 0 {
                Err(conn_err(ErrorCode::PROTOCOL_ERROR, what))
            } else {
                Ok(())
            }
        };
        let need_conn = |what: &'static str| {
            if sid != 0 {
                Err(conn_err(ErrorCode::PROTOCOL_ERROR, what))
            } else {
                Ok(())
            }
        };
        Ok(match h.kind {
            kind::DATA => {
                need_stream("DATA on stream 0")?;
                let (data, pad_len) = unpad(h.flags, payload)?;
                Frame::Data {
                    stream_id: sid,
                    end_stream: h.flags & flags::END_STREAM != 0,
                    data,
                    pad_len,
                }
            }
            kind::HEADERS => {
                need_stream("HEADERS on stream 0")?;
                let (mut rest, pad_len) = unpad(h.flags, payload)?;
                let mut priority = None;
                if h.flags & flags::PRIORITY != 0 {
                    let p: &[u8; 5] =
                        rest.get(..5)
                            .and_then(|s| s.try_into().ok())
                            .ok_or(conn_err(
                                ErrorCode::FRAME_SIZE_ERROR,
                                "HEADERS too short for priority",
                            ))?;
                    priority = Some(PrioritySpec::parse(p));
                    rest = rest.get(5..).unwrap_or(&[]);
                }
                Frame::Headers {
                    stream_id: sid,
                    end_stream: h.flags & flags::END_STREAM != 0,
                    end_headers: h.flags & flags::END_HEADERS != 0,
                    priority,
                    fragment: rest,
                    pad_len,
                }
            }
            kind::PRIORITY => {
                need_stream("PRIORITY on stream 0")?;
                let p: &[u8; 5] = payload.try_into().map_err(|_| FrameError {
                    code: ErrorCode::FRAME_SIZE_ERROR,
                    stream_id: Some(sid),
                    reason: "PRIORITY length is not 5",
                })?;
                Frame::Priority {
                    stream_id: sid,
                    priority: PrioritySpec::parse(p),
                }
            }
            kind::RST_STREAM => {
                need_stream("RST_STREAM on stream 0")?;
                if payload.len() != 4 {
                    return Err(conn_err(
                        ErrorCode::FRAME_SIZE_ERROR,
                        "RST_STREAM length is not 4",
                    ));
                }
                Frame::RstStream {
                    stream_id: sid,
                    error_code: ErrorCode(be32(payload)),
                }
            }
            kind::SETTINGS => {
                need_conn("SETTINGS on a stream")?;
                let ack = h.flags & flags::ACK != 0;
                if ack && !payload.is_empty() {
                    return Err(conn_err(
                        ErrorCode::FRAME_SIZE_ERROR,
                        "SETTINGS ACK with payload",
                    ));
                }
                if payload.len() % 6 != 0 {
                    return Err(conn_err(
                        ErrorCode::FRAME_SIZE_ERROR,
                        "SETTINGS length not a multiple of 6",
                    ));
                }
                Frame::Settings { ack, payload }
            }
            kind::PUSH_PROMISE => {
                need_stream("PUSH_PROMISE on stream 0")?;
                let (rest, _) = unpad(h.flags, payload)?;
                if rest.len() < 4 {
                    return Err(conn_err(
                        ErrorCode::FRAME_SIZE_ERROR,
                        "PUSH_PROMISE too short",
                    ));
                }
                Frame::PushPromise {
                    stream_id: sid,
                    end_headers: h.flags & flags::END_HEADERS != 0,
                    promised_id: be32(rest) & MAX_WINDOW_SIZE,
                    fragment: rest.get(4..).unwrap_or(&[]),
                }
            }
            kind::PING => {
                need_conn("PING on a stream")?;
                let data: [u8; 8] = payload
                    .try_into()
                    .map_err(|_| conn_err(ErrorCode::FRAME_SIZE_ERROR, "PING length is not 8"))?;
                Frame::Ping {
                    ack: h.flags & flags::ACK != 0,
                    data,
                }
            }
            kind::GOAWAY => {
                need_conn("GOAWAY on a stream")?;
                if payload.len() < 8 {
                    return Err(conn_err(ErrorCode::FRAME_SIZE_ERROR, "GOAWAY too short"));
                }
                Frame::GoAway {
                    last_stream_id: be32(payload) & MAX_WINDOW_SIZE,
                    error_code: ErrorCode(be32(payload.get(4..).unwrap_or(&[]))),
                    debug: payload.get(8..).unwrap_or(&[]),
                }
            }
            kind::WINDOW_UPDATE => {
                if payload.len() != 4 {
                    return Err(conn_err(
                        ErrorCode::FRAME_SIZE_ERROR,
                        "WINDOW_UPDATE length is not 4",
                    ));
                }
                let increment = be32(payload) & MAX_WINDOW_SIZE;
                if increment == 0 {
                    return Err(FrameError {
                        code: ErrorCode::PROTOCOL_ERROR,
                        stream_id: if sid == 0 { None } else { Some(sid) },
                        reason: "WINDOW_UPDATE with zero increment",
                    });
                }
                Frame::WindowUpdate {
                    stream_id: sid,
                    increment,
                }
            }
            kind::CONTINUATION => {
                need_stream("CONTINUATION on stream 0")?;
                Frame::Continuation {
                    stream_id: sid,
                    end_headers: h.flags & flags::END_HEADERS != 0,
                    fragment: payload,
                }
            }
            kind::PRIORITY_UPDATE => {
                need_conn("PRIORITY_UPDATE on a stream")?;
                if payload.len() < 4 {
                    return Err(conn_err(
                        ErrorCode::FRAME_SIZE_ERROR,
                        "PRIORITY_UPDATE too short",
                    ));
                }
                Frame::PriorityUpdate {
                    prioritized_id: be32(payload) & MAX_WINDOW_SIZE,
                    field_value: payload.get(4..).unwrap_or(&[]),
                }
            }
            _ => Frame::Unknown { header: *h },
        })
    }

    /// Appends this frame (header and payload, without padding) to `dst`.
    ///
    /// The caller keeps payloads within the peer's SETTINGS_MAX_FRAME_SIZE. For DATA and
    /// HEADERS a nonzero `pad_len` is written as that much padding (pad length field
    /// included), so that decode(encode(f)) == f.
    pub fn encode(&self, dst: &mut Vec<u8>) {
        let start = dst.len();
        dst.extend_from_slice(&[0; FRAME_HEADER_LEN]);
        let (kind_, fl, sid) = match *self {
            Frame::Data {
                stream_id,
                end_stream,
                data,
                pad_len,
            } => {
                let mut fl = if end_stream { flags::END_STREAM } else { 0 };
                if pad_len > 0 {
                    fl |= flags::PADDED;
                    dst.push((pad_len - 1).min(255) as u8);
                }
                dst.extend_from_slice(data);
                pad_zeros(dst, pad_len);
                (kind::DATA, fl, stream_id)
            }
            Frame::Headers {
                stream_id,
                end_stream,
                end_headers,
                priority,
                fragment,
                pad_len,
            } => {
                let mut fl = 0;
                if end_stream {
                    fl |= flags::END_STREAM;
                }
                if end_headers {
                    fl |= flags::END_HEADERS;
                }
                if pad_len > 0 {
                    fl |= flags::PADDED;
                    dst.push((pad_len - 1).min(255) as u8);
                }
                if let Some(p) = priority {
                    fl |= flags::PRIORITY;
                    p.write(dst);
                }
                dst.extend_from_slice(fragment);
                pad_zeros(dst, pad_len);
                (kind::HEADERS, fl, stream_id)
            }
            Frame::Priority {
                stream_id,
                priority,
            } => {
                priority.write(dst);
                (kind::PRIORITY, 0, stream_id)
            }
            Frame::RstStream {
                stream_id,
                error_code,
            } => {
                dst.extend_from_slice(&error_code.0.to_be_bytes());
                (kind::RST_STREAM, 0, stream_id)
            }
            Frame::Settings { ack, payload } => {
                dst.extend_from_slice(payload);
                (kind::SETTINGS, if ack { flags::ACK } else { 0 }, 0)
            }
            Frame::PushPromise {
                stream_id,
                end_headers,
                promised_id,
                fragment,
            } => {
                dst.extend_from_slice(&(promised_id & MAX_WINDOW_SIZE).to_be_bytes());
                dst.extend_from_slice(fragment);
                let fl = if end_headers { flags::END_HEADERS } else { 0 };
                (kind::PUSH_PROMISE, fl, stream_id)
            }
            Frame::Ping { ack, data } => {
                dst.extend_from_slice(&data);
                (kind::PING, if ack { flags::ACK } else { 0 }, 0)
            }
            Frame::GoAway {
                last_stream_id,
                error_code,
                debug,
            } => {
                dst.extend_from_slice(&(last_stream_id & MAX_WINDOW_SIZE).to_be_bytes());
                dst.extend_from_slice(&error_code.0.to_be_bytes());
                dst.extend_from_slice(debug);
                (kind::GOAWAY, 0, 0)
            }
            Frame::WindowUpdate {
                stream_id,
                increment,
            } => {
                dst.extend_from_slice(&(increment & MAX_WINDOW_SIZE).to_be_bytes());
                (kind::WINDOW_UPDATE, 0, stream_id)
            }
            Frame::Continuation {
                stream_id,
                end_headers,
                fragment,
            } => {
                dst.extend_from_slice(fragment);
                let fl = if end_headers { flags::END_HEADERS } else { 0 };
                (kind::CONTINUATION, fl, stream_id)
            }
            Frame::PriorityUpdate {
                prioritized_id,
                field_value,
            } => {
                dst.extend_from_slice(&(prioritized_id & MAX_WINDOW_SIZE).to_be_bytes());
                dst.extend_from_slice(field_value);
                (kind::PRIORITY_UPDATE, 0, 0)
            }
            Frame::Unknown { header } => (header.kind, header.flags, header.stream_id),
        };
        let length = (dst.len() - start - FRAME_HEADER_LEN) as u32;
        let hdr = FrameHeader {
            length,
            kind: kind_,
            flags: fl,
            stream_id: sid,
        }
        .to_bytes();
        if let Some(slot) = dst.get_mut(start..start + FRAME_HEADER_LEN) {
            slot.copy_from_slice(&hdr);
        }
    }
}

fn pad_zeros(dst: &mut Vec<u8>, pad_len: u32) {
    let n = pad_len.saturating_sub(1).min(255) as usize;
    dst.resize(dst.len() + n, 0);
}

/// Iterates the (identifier, value) pairs of a SETTINGS payload.
pub fn settings_iter(payload: &[u8]) -> impl Iterator<Item = (u16, u32)> + '_ {
    payload
        .chunks_exact(6)
        .map(|c| (u16::from_be_bytes([c[0], c[1]]), be32(&c[2..])))
}

/// Appends a frame header directly (for writers that stream a payload after it).
pub fn write_header(dst: &mut Vec<u8>, length: usize, kind_: u8, flags_: u8, stream_id: u32) {
    FrameHeader {
        length: length as u32,
        kind: kind_,
        flags: flags_,
        stream_id,
    }
    .write(dst);
}
