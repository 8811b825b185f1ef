//! Percent-decoding (RFC 3986 §2.1) without allocation.
//!
//! The router never decodes into a buffer of its own. At lookup time a parameter's raw
//! segment is *validated* (well-formed `%XX` escapes, UTF-8 after decoding, the `%2F`
//! rule); the value is handed out as a [`PctStr`] that decodes lazily when the caller
//! asks, into the caller's buffer, a `Cow`, or a formatter.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

const fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes the escape starting at `raw[i]` (which is `%`), if well-formed.
fn escape_at(raw: &[u8], i: usize) -> Option<u8> {
    let hi = hex(*raw.get(i + 1)?)?;
    let lo = hex(*raw.get(i + 2)?)?;
    Some(hi << 4 | lo)
}

/// Iterator over the decoded bytes of a raw string. A malformed escape (which validated
/// values never contain) is passed through as a literal `%`.
#[derive(Clone, Debug)]
pub struct Decode<'p> {
    raw: &'p [u8],
    pos: usize,
}

impl Iterator for Decode<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let b = *self.raw.get(self.pos)?;
        if b == b'%' {
            if let Some(d) = escape_at(self.raw, self.pos) {
                self.pos += 3;
                return Some(d);
            }
        }
        self.pos += 1;
        Some(b)
    }
}

/// Streaming UTF-8 validator (RFC 3629 table: no overlongs, no surrogates, ≤ U+10FFFF).
#[derive(Clone, Copy)]
struct Utf8 {
    need: u8,
    lo: u8,
    hi: u8,
}

impl Utf8 {
    const fn new() -> Self {
        Utf8 {
            need: 0,
            lo: 0x80,
            hi: 0xBF,
        }
    }

    fn push(&mut self, b: u8) -> bool {
        if self.need > 0 {
            if b < self.lo || b > self.hi {
                return false;
            }
            self.need -= 1;
            self.lo = 0x80;
            self.hi = 0xBF;
            return true;
        }
        let (need, lo, hi) = match b {
            0x00..=0x7F => return true,
            0xC2..=0xDF => (1, 0x80, 0xBF),
            0xE0 => (2, 0xA0, 0xBF),
            0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
            0xED => (2, 0x80, 0x9F),
            0xF0 => (3, 0x90, 0xBF),
            0xF1..=0xF3 => (3, 0x80, 0xBF),
            0xF4 => (3, 0x80, 0x8F),
            _ => return false,
        };
        self.need = need;
        self.lo = lo;
        self.hi = hi;
        true
    }
}

/// What a parameter's raw text must satisfy to match.
#[derive(Clone, Copy)]
pub(crate) struct Rules {
    /// `%2F` may decode to `/`.
    pub(crate) slash_ok: bool,
    /// Reject `.` and `..` path segments (after decoding, split on `/` and `%2F`).
    pub(crate) no_dot_segments: bool,
}

/// Checks that `raw` decodes to valid UTF-8 under `rules`. `has_pct` is a hint that the
/// text contains `%` (when false and no dot check is needed, nothing is scanned).
pub(crate) fn validate(bytes: &[u8], has_pct: bool, rules: Rules) -> bool {
    if !has_pct && !rules.no_dot_segments {
        return true;
    }
    let mut utf8 = Utf8::new();
    // 0: segment empty so far, 1: ".", 2: "..", 3: anything else.
    let mut dots = 0u8;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let (d, encoded) = if b == b'%' {
            match escape_at(bytes, i) {
                Some(d) => {
                    i += 3;
                    (d, true)
                }
                None => return false,
            }
        } else {
            i += 1;
            (b, false)
        };
        if !utf8.push(d) {
            return false;
        }
        if d == b'/' {
            if encoded && !rules.slash_ok {
                return false;
            }
            if rules.no_dot_segments && (dots == 1 || dots == 2) {
                return false;
            }
            dots = 0;
        } else if d == b'.' {
            dots = match dots {
                0 => 1,
                1 => 2,
                _ => 3,
            };
        } else {
            dots = 3;
        }
    }
    if rules.no_dot_segments && (dots == 1 || dots == 2) {
        return false;
    }
    utf8.need == 0
}

/// Whether `raw` percent-decodes to exactly `expected`.
pub(crate) fn decoded_eq(raw: &[u8], expected: &[u8]) -> bool {
    let mut it = Decode { raw, pos: 0 };
    for &e in expected {
        if it.next() != Some(e) {
            return false;
        }
    }
    it.next().is_none()
}

/// Decodes `raw` into `buf`; `None` on a malformed escape or when `buf` is too small.
pub(crate) fn decode_strict<'b>(bytes: &[u8], buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let mut i = 0;
    let mut n = 0;
    while let Some(&b) = bytes.get(i) {
        let d = if b == b'%' {
            let d = escape_at(bytes, i)?;
            i += 3;
            d
        } else {
            i += 1;
            b
        };
        *buf.get_mut(n)? = d;
        n += 1;
    }
    buf.get(..n)
}

/// A parameter's text exactly as it appeared in the request path, already validated:
/// its percent-escapes are well-formed and decode to valid UTF-8, obeying the router's
/// `%2F` rule. Decoding is lazy and never fails.
///
/// `as_str` is free when the text has no escape (the common case); otherwise decode into
/// your own buffer with [`PctStr::decode_into`], get a `Cow` with [`PctStr::to_cow`]
/// (allocates only when escaped), or `Display` it (writes the decoded text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PctStr<'p> {
    raw: &'p str,
    encoded: bool,
}

impl<'p> PctStr<'p> {
    pub(crate) const fn new(raw: &'p str, encoded: bool) -> Self {
        PctStr { raw, encoded }
    }

    /// The text as it appeared in the request, escapes included.
    pub const fn raw(&self) -> &'p str {
        self.raw
    }

    /// Whether the raw text contains a percent-escape.
    pub const fn is_encoded(&self) -> bool {
        self.encoded
    }

    /// The decoded text without copying, when there is nothing to decode.
    pub const fn as_str(&self) -> Option<&'p str> {
        if self.encoded {
            None
        } else {
            Some(self.raw)
        }
    }

    /// The decoded bytes, one at a time.
    pub fn decode(&self) -> Decode<'p> {
        Decode {
            raw: self.raw.as_bytes(),
            pos: 0,
        }
    }

    /// Length of the decoded text in bytes.
    pub fn decoded_len(&self) -> usize {
        if self.encoded {
            self.decode().count()
        } else {
            self.raw.len()
        }
    }

    /// Decodes into `buf` and returns the text, or `None` if `buf` is too small.
    pub fn decode_into<'b>(&self, buf: &'b mut [u8]) -> Option<&'b str> {
        let bytes = decode_strict(self.raw.as_bytes(), buf)?;
        core::str::from_utf8(bytes).ok()
    }

    /// The decoded text; borrows when nothing needs decoding, allocates otherwise.
    pub fn to_cow(&self) -> Cow<'p, str> {
        if !self.encoded {
            return Cow::Borrowed(self.raw);
        }
        let bytes: Vec<u8> = self.decode().collect();
        match String::from_utf8(bytes) {
            Ok(s) => Cow::Owned(s),
            // Unreachable for validated values; stay panic-free regardless.
            Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        }
    }

    /// Whether the decoded text equals `s`, without allocating.
    pub fn decoded_eq(&self, s: &str) -> bool {
        if self.encoded {
            decoded_eq(self.raw.as_bytes(), s.as_bytes())
        } else {
            self.raw == s
        }
    }
}

impl fmt::Display for PctStr<'_> {
    /// Writes the decoded text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.encoded {
            return f.write_str(self.raw);
        }
        let bytes = self.raw.as_bytes();
        let mut i = 0;
        let mut start = 0;
        let mut pending = [0u8; 4];
        let mut np = 0usize;
        while let Some(&b) = bytes.get(i) {
            if b != b'%' {
                i += 1;
                continue;
            }
            let Some(d) = escape_at(bytes, i) else {
                i += 1;
                continue;
            };
            // Flush the literal run before this escape.
            f.write_str(self.raw.get(start..i).unwrap_or(""))?;
            i += 3;
            start = i;
            if let Some(slot) = pending.get_mut(np) {
                *slot = d;
                np += 1;
            }
            if let Ok(s) = core::str::from_utf8(pending.get(..np).unwrap_or(&[])) {
                f.write_str(s)?;
                np = 0;
            } else if np == pending.len() {
                f.write_str("\u{FFFD}")?;
                np = 0;
            }
        }
        if np > 0 {
            f.write_str("\u{FFFD}")?;
        }
        f.write_str(self.raw.get(start..).unwrap_or(""))
    }
}
