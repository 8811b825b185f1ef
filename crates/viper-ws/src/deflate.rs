//! permessage-deflate (RFC 7692): parameter negotiation and the per-message
//! compressor and decompressor built on `miniz_oxide`.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use miniz_oxide::deflate::core::{
    create_comp_flags_from_zip_params, CompressionStrategy, CompressorOxide,
};
use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

/// The four bytes a sync flush ends with; RFC 7692 §7.2.1 strips them from
/// each message and §7.2.2 appends them again before inflating.
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// What this endpoint wants from permessage-deflate. `None` in the handshake
/// configuration means the extension is not offered / not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeflateConfig {
    /// Ask (client) or force (server) the server to reset its compression
    /// context after each message. Default `false`.
    pub server_no_context_takeover: bool,
    /// Ask the client to reset its compression context after each message.
    /// Default `false`.
    pub client_no_context_takeover: bool,
    /// Largest LZ77 window (8..=15) the server may compress with. A server
    /// uses it for its own compressor; a client sends it as a request when
    /// below 15. Default 15.
    pub server_max_window_bits: u8,
    /// Largest LZ77 window (8..=15) the client may compress with. A server
    /// asks for it when below 15 (only possible if the client offered the
    /// parameter); a client uses it as its own limit. Default 15.
    pub client_max_window_bits: u8,
    /// `miniz_oxide` compression level, 0..=10. Default 1 (fast).
    pub level: u8,
    /// Messages shorter than this are sent uncompressed (RSV1 clear), which
    /// RFC 7692 allows per message. Default 32 bytes.
    pub min_compress_size: usize,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
            level: 1,
            min_compress_size: 32,
        }
    }
}

/// The permessage-deflate parameters both sides agreed on in the handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compressor after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after each message.
    pub client_no_context_takeover: bool,
    /// Window the server compresses with (8..=15).
    pub server_max_window_bits: u8,
    /// Window the client compresses with (8..=15).
    pub client_max_window_bits: u8,
    /// Compression level this endpoint uses (local, not negotiated).
    pub level: u8,
    /// Messages shorter than this are sent uncompressed (local, not negotiated).
    pub min_compress_size: usize,
}

/// One parsed extension offer or response element.
#[derive(Default, Debug)]
struct Offer {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (client offer only).
    client_max_window_bits: Option<Option<u8>>,
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

fn parse_bits(v: Option<&str>) -> Result<u8, ()> {
    let v = v.ok_or(())?;
    let v = trim(v);
    let v = v
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(v);
    if v.is_empty() || v.len() > 2 || !v.bytes().all(|b| b.is_ascii_digit()) || v.starts_with('0') {
        return Err(());
    }
    let n: u8 = v.parse().map_err(|_| ())?;
    if (8..=15).contains(&n) {
        Ok(n)
    } else {
        Err(())
    }
}

/// Parses the parameters of one `permessage-deflate` element (everything
/// after the extension name). Unknown, duplicate or malformed parameters make
/// the whole element invalid (RFC 7692 §5).
fn parse_params<'a>(params: impl Iterator<Item = &'a str>, is_offer: bool) -> Result<Offer, ()> {
    let mut o = Offer::default();
    for p in params {
        let (name, value) = match p.split_once('=') {
            Some((n, v)) => (trim(n), Some(v)),
            None => (trim(p), None),
        };
        if name.eq_ignore_ascii_case("server_no_context_takeover") {
            if o.server_no_context_takeover || value.is_some() {
                return Err(());
            }
            o.server_no_context_takeover = true;
        } else if name.eq_ignore_ascii_case("client_no_context_takeover") {
            if o.client_no_context_takeover || value.is_some() {
                return Err(());
            }
            o.client_no_context_takeover = true;
        } else if name.eq_ignore_ascii_case("server_max_window_bits") {
            if o.server_max_window_bits.is_some() {
                return Err(());
            }
            o.server_max_window_bits = Some(parse_bits(value)?);
        } else if name.eq_ignore_ascii_case("client_max_window_bits") {
            if o.client_max_window_bits.is_some() {
                return Err(());
            }
            o.client_max_window_bits = Some(match value {
                None if is_offer => None,
                v => Some(parse_bits(v)?),
            });
        } else {
            return Err(());
        }
    }
    Ok(o)
}

/// Splits a `Sec-WebSocket-Extensions` value into elements, each a list of
/// `;`-separated parts. (Quoted strings containing `,` or `;` are not used by
/// any parameter we know, and make the element invalid.)
pub(crate) fn for_each_extension<'a>(
    value: &'a str,
) -> impl Iterator<Item = (&'a str, core::str::Split<'a, char>)> {
    value.split(',').filter(|e| !trim(e).is_empty()).map(|e| {
        let mut parts = e.split(';');
        let name = trim(parts.next().unwrap_or(""));
        (name, parts)
    })
}

/// Server side: given the client's offers (in order) for permessage-deflate,
/// picks the first one it can honour and returns the agreed parameters plus
/// the response element to send.
pub(crate) fn server_accept<'a>(
    cfg: &DeflateConfig,
    offers: impl Iterator<Item = core::str::Split<'a, char>>,
) -> Option<(DeflateParams, String)> {
    for params in offers {
        let Ok(o) = parse_params(params, true) else {
            continue; // decline an invalid offer, try the next
        };
        let server_bits = o
            .server_max_window_bits
            .unwrap_or(15)
            .min(cfg.server_max_window_bits.clamp(8, 15));
        let client_bits = match o.client_max_window_bits {
            None => 15, // the client cannot be limited; we inflate any window
            Some(v) => v.unwrap_or(15).min(cfg.client_max_window_bits.clamp(8, 15)),
        };
        let snct = o.server_no_context_takeover || cfg.server_no_context_takeover;
        let cnct = o.client_no_context_takeover || cfg.client_no_context_takeover;
        let mut resp = String::from("permessage-deflate");
        if snct {
            resp.push_str("; server_no_context_takeover");
        }
        if cnct {
            resp.push_str("; client_no_context_takeover");
        }
        if o.server_max_window_bits.is_some() || server_bits < 15 {
            let _ = write!(resp, "; server_max_window_bits={server_bits}");
        }
        if let Some(v) = o.client_max_window_bits {
            if client_bits < v.unwrap_or(15) || v.is_some() {
                let _ = write!(resp, "; client_max_window_bits={client_bits}");
            }
        }
        let params = DeflateParams {
            server_no_context_takeover: snct,
            client_no_context_takeover: cnct,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
            level: cfg.level,
            min_compress_size: cfg.min_compress_size,
        };
        return Some((params, resp));
    }
    None
}

/// Client side: the offer element to send.
pub(crate) fn client_offer(cfg: &DeflateConfig) -> String {
    let mut s = String::from("permessage-deflate");
    if cfg.server_no_context_takeover {
        s.push_str("; server_no_context_takeover");
    }
    if cfg.client_no_context_takeover {
        s.push_str("; client_no_context_takeover");
    }
    if cfg.server_max_window_bits < 15 {
        let _ = write!(
            s,
            "; server_max_window_bits={}",
            cfg.server_max_window_bits.max(8)
        );
    }
    if cfg.client_max_window_bits < 15 {
        let _ = write!(
            s,
            "; client_max_window_bits={}",
            cfg.client_max_window_bits.max(8)
        );
    } else {
        // We can compress with any window the server asks for.
        s.push_str("; client_max_window_bits");
    }
    s
}

/// Client side: validates the server's response element against our offer.
pub(crate) fn client_validate<'a>(
    cfg: &DeflateConfig,
    params: impl Iterator<Item = &'a str>,
) -> Result<DeflateParams, ()> {
    let o = parse_params(params, false)?;
    if cfg.server_no_context_takeover && !o.server_no_context_takeover {
        return Err(());
    }
    let server_bits = match o.server_max_window_bits {
        Some(b) if b <= cfg.server_max_window_bits.max(8) => b,
        Some(_) => return Err(()),
        None if cfg.server_max_window_bits < 15 => return Err(()),
        None => 15,
    };
    let client_bits = match o.client_max_window_bits {
        Some(Some(b)) => b,
        Some(None) => return Err(()),
        None => cfg.client_max_window_bits.clamp(8, 15),
    };
    Ok(DeflateParams {
        server_no_context_takeover: o.server_no_context_takeover,
        client_no_context_takeover: o.client_no_context_takeover || cfg.client_no_context_takeover,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits.min(cfg.client_max_window_bits.clamp(8, 15)),
        level: cfg.level,
        min_compress_size: cfg.min_compress_size,
    })
}

/// Compresses outgoing messages with the negotiated window and context rules.
pub struct Compressor {
    comp: Box<CompressorOxide>,
    no_context_takeover: bool,
}

impl core::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Compressor")
            .field("no_context_takeover", &self.no_context_takeover)
            .finish_non_exhaustive()
    }
}

impl Compressor {
    /// A compressor using an LZ77 window of at most `2^window_bits` bytes.
    ///
    /// `miniz_oxide` bounds match distances strictly only in its run-length
    /// mode (distance 1), so any window below 15 bits is honoured with that
    /// mode: always valid for the peer's smaller window, at a lower ratio.
    pub fn new(window_bits: u8, level: u8, no_context_takeover: bool) -> Self {
        let comp = if window_bits >= 15 {
            CompressorOxide::with_params(
                DataFormat::Raw,
                level.min(10),
                CompressionStrategy::Default,
                15,
            )
        } else {
            // Level 2 on purpose: at level 1 miniz_oxide 0.9 takes its fast
            // path, which ignores the RLE flag and can reach 32 KiB back.
            CompressorOxide::new(create_comp_flags_from_zip_params(
                2,
                -15,
                CompressionStrategy::RLE as i32,
            ))
        };
        let comp = Box::new(comp);
        Compressor {
            comp,
            no_context_takeover,
        }
    }

    /// Compresses `input` (one fragment of a message) and appends the result
    /// to `out`. On the message's last fragment (`last`) the trailing
    /// `00 00 ff ff` is removed, and the context is reset if the peer asked.
    pub fn compress(&mut self, input: &[u8], last: bool, out: &mut Vec<u8>) {
        let mut inp = input;
        loop {
            let start = out.len();
            // Room for DEFLATE's worst case (stored blocks: 5 bytes per block of at
            // most 16 KiB, plus the sync flush), so one call takes the whole input and
            // flushes it. Asking miniz_oxide to resume a sync flush that ran out of
            // output space lost data (seen with 117 001 random bytes).
            let room = inp.len() + inp.len() / 1024 * 5 + 64;
            out.resize(start + room, 0);
            let r = miniz_oxide::deflate::stream::deflate(
                &mut self.comp,
                inp,
                &mut out[start..],
                MZFlush::Sync,
            );
            out.truncate(start + r.bytes_written);
            inp = &inp[r.bytes_consumed..];
            let full = r.bytes_written == room;
            if r.status.is_err() || (inp.is_empty() && !full) {
                break;
            }
        }
        if last {
            if out.ends_with(&TAIL) {
                out.truncate(out.len() - TAIL.len());
            }
            if self.no_context_takeover {
                self.comp.reset();
            }
        }
    }
}

/// Why inflating a message failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflateError {
    /// The compressed data is not valid DEFLATE.
    Corrupt,
    /// The decompressed message would exceed the configured limit.
    TooLarge,
}

/// Decompresses incoming messages, bounding the output size (compression bombs).
pub struct Decompressor {
    state: Box<InflateState>,
    no_context_takeover: bool,
}

impl core::fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decompressor")
            .field("no_context_takeover", &self.no_context_takeover)
            .finish_non_exhaustive()
    }
}

impl Decompressor {
    /// A decompressor; `no_context_takeover` resets its window after each message.
    pub fn new(no_context_takeover: bool) -> Self {
        Decompressor {
            state: InflateState::new_boxed(DataFormat::Raw),
            no_context_takeover,
        }
    }

    /// Inflates `input` (compressed bytes of the current message, in order)
    /// and appends the output to `out`, failing with
    /// [`InflateError::TooLarge`] as soon as `out` would grow past `limit`.
    /// Returns the number of bytes appended.
    pub fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<usize, InflateError> {
        let before = out.len();
        let mut inp = input;
        loop {
            let start = out.len();
            // One spare byte past the limit lets us notice overflow.
            let allowance = limit.saturating_sub(start).saturating_add(1);
            let room = allowance.min(inp.len().saturating_mul(4).clamp(1024, 64 * 1024));
            out.resize(start + room, 0);
            let r = inflate(&mut self.state, inp, &mut out[start..], MZFlush::None);
            out.truncate(start + r.bytes_written);
            inp = &inp[r.bytes_consumed..];
            if out.len() > limit {
                return Err(InflateError::TooLarge);
            }
            match r.status {
                Ok(MZStatus::StreamEnd) => {
                    // A block with BFINAL set: the DEFLATE stream ended. Start a
                    // fresh one for whatever follows (RFC 7692 §7.2.3.3 allows it).
                    self.state.reset(DataFormat::Raw);
                    if inp.is_empty() {
                        break;
                    }
                }
                Ok(_) => {
                    if inp.is_empty() && r.bytes_written < room {
                        break;
                    }
                    if r.bytes_consumed == 0 && r.bytes_written == 0 {
                        return Err(InflateError::Corrupt);
                    }
                }
                Err(MZError::Buf) => {
                    if inp.is_empty() {
                        break;
                    }
                    return Err(InflateError::Corrupt);
                }
                Err(_) => return Err(InflateError::Corrupt),
            }
        }
        Ok(out.len() - before)
    }

    /// Ends the current message: inflates the `00 00 ff ff` tail and resets
    /// the window if the peer resets its compressor after each message.
    pub fn finish_message(
        &mut self,
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<usize, InflateError> {
        let n = self.inflate(&TAIL, out, limit)?;
        if self.no_context_takeover {
            self.state.reset(DataFormat::Raw);
        }
        Ok(n)
    }

    /// Discards any context (e.g. after an aborted message).
    pub fn reset(&mut self) {
        self.state.reset(DataFormat::Raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7692_7_2_3_1_hello_single_frame() {
        // "Hello" compressed, as printed in RFC 7692 §7.2.3.1.
        let mut d = Decompressor::new(false);
        let mut out = Vec::new();
        d.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], &mut out, 100)
            .unwrap();
        d.finish_message(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
        // §7.2.3.2: the second "Hello" with context takeover.
        let mut out = Vec::new();
        d.inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], &mut out, 100)
            .unwrap();
        d.finish_message(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
    }

    #[test]
    fn compress_roundtrip_with_and_without_takeover() {
        for nct in [false, true] {
            for bits in [8u8, 9, 12, 15] {
                let mut c = Compressor::new(bits, 6, nct);
                let mut d = Decompressor::new(nct);
                for i in 0..4 {
                    let msg: Vec<u8> = (0..3000u32).map(|j| ((j * 31 + i) % 17) as u8).collect();
                    let mut z = Vec::new();
                    c.compress(&msg, true, &mut z);
                    assert!(!z.ends_with(&TAIL));
                    let mut out = Vec::new();
                    d.inflate(&z, &mut out, 1 << 20).unwrap();
                    d.finish_message(&mut out, 1 << 20).unwrap();
                    assert_eq!(out, msg);
                }
            }
        }
    }

    #[test]
    fn bomb_is_bounded() {
        let mut c = Compressor::new(15, 9, false);
        let msg = alloc::vec![0u8; 1 << 20];
        let mut z = Vec::new();
        c.compress(&msg, true, &mut z);
        assert!(z.len() < 8192);
        let mut d = Decompressor::new(false);
        let mut out = Vec::new();
        assert_eq!(d.inflate(&z, &mut out, 1000), Err(InflateError::TooLarge));
        assert!(out.len() <= 1001);
    }
}
