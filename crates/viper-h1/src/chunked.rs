//! Chunked transfer coding (RFC 9112 §7.1): an incremental decoder and the encoder's
//! framing helpers.

use bytes::{Bytes, BytesMut};

use crate::config::Config;
use crate::error::ErrorKind;
use crate::head::{parse_trailers, Headers};

/// One step of [`ChunkedDecoder::decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunk {
    /// Body bytes (zero-copy, split off the input buffer).
    Data(Bytes),
    /// The last chunk and the trailer section were read.
    End(Headers),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Size,
    Data(u64),
    DataCrlf,
    Trailers,
    Done,
}

/// Incremental decoder of a chunked body. Feed it the connection's input buffer; it
/// takes what it can and leaves the rest (for example the next pipelined request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkedDecoder {
    state: State,
    total: u64,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    /// A decoder at the start of a chunked body.
    pub fn new() -> Self {
        ChunkedDecoder {
            state: State::Size,
            total: 0,
        }
    }

    /// Whether the last chunk and trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Body bytes decoded so far.
    pub fn body_len(&self) -> u64 {
        self.total
    }

    /// Decodes from the front of `buf`. `Ok(None)` means more input is needed (and
    /// `buf` holds only an incomplete piece). Limits come from `cfg`:
    /// `max_chunk_ext_len`, `max_trailer_size`, `max_headers`, `max_body_size`.
    pub fn decode(&mut self, buf: &mut BytesMut, cfg: &Config) -> Result<Option<Chunk>, ErrorKind> {
        loop {
            match self.state {
                State::Size => {
                    let Some(size) = self.size_line(buf, cfg)? else {
                        return Ok(None);
                    };
                    if size == 0 {
                        self.state = State::Trailers;
                    } else {
                        let total = self.total.checked_add(size);
                        match total {
                            Some(t) if t <= cfg.max_body_size => self.total = t,
                            _ => return Err(ErrorKind::BodyTooLarge),
                        }
                        self.state = State::Data(size);
                    }
                }
                State::Data(rem) => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let take = usize::try_from(rem).unwrap_or(usize::MAX).min(buf.len());
                    let left = rem - take as u64;
                    self.state = if left == 0 {
                        State::DataCrlf
                    } else {
                        State::Data(left)
                    };
                    return Ok(Some(Chunk::Data(buf.split_to(take).freeze())));
                }
                State::DataCrlf => match (buf.first(), buf.get(1)) {
                    (None, _) | (Some(b'\r'), None) => return Ok(None),
                    (Some(b'\r'), Some(b'\n')) => {
                        let _ = buf.split_to(2);
                        self.state = State::Size;
                    }
                    _ => return Err(ErrorKind::InvalidChunkTerminator),
                },
                State::Trailers => {
                    return match parse_trailers(buf, cfg)? {
                        Some(t) => {
                            self.state = State::Done;
                            Ok(Some(Chunk::End(t)))
                        }
                        None => Ok(None),
                    };
                }
                State::Done => return Ok(None),
            }
        }
    }

    /// Parses `chunk-size [ chunk-ext ] CRLF`; `Ok(None)` if the line is incomplete.
    fn size_line(&mut self, buf: &mut BytesMut, cfg: &Config) -> Result<Option<u64>, ErrorKind> {
        // 16 hex digits is the most a u64 holds; leading zeros beyond that are junk.
        let max_line = cfg.max_chunk_ext_len.saturating_add(18);
        let window = &buf[..buf.len().min(max_line.saturating_add(1))];
        let Some(lf) = window.iter().position(|&b| b == b'\n') else {
            // Validate what we have so far so junk is rejected early.
            check_size_prefix(window, cfg)?;
            if window.len() > max_line {
                return Err(ErrorKind::InvalidChunkExtension);
            }
            return Ok(None);
        };
        if lf == 0 || window[lf - 1] != b'\r' {
            return Err(ErrorKind::InvalidChunkSize);
        }
        let line = &window[..lf - 1];
        if !line.first().is_some_and(u8::is_ascii_hexdigit) {
            return Err(ErrorKind::InvalidChunkSize);
        }
        let size = check_size_prefix(line, cfg)?;
        let _ = buf.split_to(lf + 1);
        Ok(Some(size))
    }
}

/// Validates a (possibly partial) size line and returns the size parsed so far.
fn check_size_prefix(line: &[u8], cfg: &Config) -> Result<u64, ErrorKind> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 && !line.is_empty() {
        return Err(ErrorKind::InvalidChunkSize);
    }
    let mut n: u64 = 0;
    for &d in &line[..digits] {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            _ => d.wrapping_sub(b'A').wrapping_add(10),
        };
        n = n
            .checked_mul(16)
            .and_then(|n| n.checked_add(u64::from(v)))
            .ok_or(ErrorKind::ChunkSizeOverflow)?;
    }
    if digits > 16 + 64 {
        return Err(ErrorKind::InvalidChunkSize);
    }
    let rest = &line[digits..];
    // BWS, then nothing or `;` extensions. (`\r` may be a partial CRLF at the end.)
    let ext_start = rest
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(rest.len());
    let ext = &rest[ext_start..];
    if ext.is_empty() {
        return Ok(n);
    }
    if ext[0] != b';' {
        if ext == b"\r" {
            return Ok(n);
        }
        return Err(ErrorKind::InvalidChunkSize);
    }
    if ext.len() > cfg.max_chunk_ext_len {
        return Err(ErrorKind::InvalidChunkExtension);
    }
    let body = ext.strip_suffix(b"\r").unwrap_or(ext);
    if body.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(ErrorKind::InvalidChunkExtension);
    }
    Ok(n)
}

/// Writes the size line of a chunk of `len` bytes (`"{len:x}\r\n"`).
pub(crate) fn size_line(len: usize, out: &mut BytesMut) {
    let mut tmp = [0u8; 18];
    let mut i = tmp.len();
    let mut v = len;
    loop {
        i -= 1;
        tmp[i] = b"0123456789abcdef"[v & 0xf];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&tmp[i..]);
    out.extend_from_slice(b"\r\n");
}
