//! Percent-decoding (RFC 3986 §2.1), one decoder for every Viper crate.
//!
//! Two flavours: [`decode`] for paths (a `+` is a `+`) and [`decode_form`] for
//! `application/x-www-form-urlencoded` query strings and bodies (a `+` is a space).
//! The iterators never fail: a malformed escape is passed through as a literal `%`.
//! The `*_into` and `*_str` forms are strict: a malformed escape (or, for `_str`,
//! invalid UTF-8 after decoding) is `None`.
//!
//! ```
//! use viper_core::pct;
//! assert_eq!(pct::decode_str("caf%C3%A9%20au+lait").as_deref(), Some("café au+lait"));
//! assert_eq!(pct::decode_form_str("a+b%26c").as_deref(), Some("a b&c"));
//! assert_eq!(pct::decode_str("%zz"), None);
//! let mut buf = [0u8; 8];
//! assert_eq!(pct::decode_into(b"%41%42", &mut buf), Some(&b"AB"[..]));
//! ```

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

/// The value of one hexadecimal digit, either case.
pub const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The byte the escape at `raw[i]` (a `%`) stands for, if it is well-formed.
pub fn escape_at(raw: &[u8], i: usize) -> Option<u8> {
    if raw.get(i) != Some(&b'%') {
        return None;
    }
    let hi = hex_value(*raw.get(i + 1)?)?;
    let lo = hex_value(*raw.get(i + 2)?)?;
    Some(hi << 4 | lo)
}

/// Iterator over decoded bytes; see [`decode`] and [`decode_form`].
#[derive(Clone, Debug)]
pub struct Decode<'a> {
    raw: &'a [u8],
    pos: usize,
    plus_is_space: bool,
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
        Some(if b == b'+' && self.plus_is_space {
            b' '
        } else {
            b
        })
    }
}

/// The decoded bytes of a path or path segment (`+` stays `+`).
pub fn decode(raw: &[u8]) -> Decode<'_> {
    Decode {
        raw,
        pos: 0,
        plus_is_space: false,
    }
}

/// The decoded bytes of a form-encoded name or value (`+` is a space).
pub fn decode_form(raw: &[u8]) -> Decode<'_> {
    Decode {
        raw,
        pos: 0,
        plus_is_space: true,
    }
}

/// Whether every `%` in `raw` starts a well-formed escape.
pub fn is_well_formed(raw: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b == b'%' {
            if escape_at(raw, i).is_none() {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

fn strict_into<'b>(raw: &[u8], buf: &'b mut [u8], plus_is_space: bool) -> Option<&'b [u8]> {
    if !is_well_formed(raw) {
        return None;
    }
    let mut n = 0;
    let it = Decode {
        raw,
        pos: 0,
        plus_is_space,
    };
    for d in it {
        *buf.get_mut(n)? = d;
        n += 1;
    }
    buf.get(..n)
}

/// Decodes a path into `buf`; `None` on a malformed escape or when `buf` is too small.
pub fn decode_into<'b>(raw: &[u8], buf: &'b mut [u8]) -> Option<&'b [u8]> {
    strict_into(raw, buf, false)
}

/// Decodes a form-encoded value into `buf`; `None` on a malformed escape or when `buf`
/// is too small.
pub fn decode_form_into<'b>(raw: &[u8], buf: &'b mut [u8]) -> Option<&'b [u8]> {
    strict_into(raw, buf, true)
}

fn strict_str(raw: &str, plus_is_space: bool) -> Option<Cow<'_, str>> {
    let bytes = raw.as_bytes();
    let needs = bytes
        .iter()
        .any(|&b| b == b'%' || (plus_is_space && b == b'+'));
    if !needs {
        return Some(Cow::Borrowed(raw));
    }
    if !is_well_formed(bytes) {
        return None;
    }
    let it = Decode {
        raw: bytes,
        pos: 0,
        plus_is_space,
    };
    let v: Vec<u8> = it.collect();
    String::from_utf8(v).ok().map(Cow::Owned)
}

/// Decodes a path to text: borrows when there is nothing to decode; `None` on a
/// malformed escape or invalid UTF-8.
pub fn decode_str(raw: &str) -> Option<Cow<'_, str>> {
    strict_str(raw, false)
}

/// Decodes a form-encoded value to text (`+` is a space): borrows when there is
/// nothing to decode; `None` on a malformed escape or invalid UTF-8.
pub fn decode_form_str(raw: &str) -> Option<Cow<'_, str>> {
    strict_str(raw, true)
}

/// Splits a query string or form body into decoded `(name, value)` pairs, skipping
/// empty pieces; a pair that fails to decode strictly is decoded leniently (a bad
/// escape stays literal, invalid UTF-8 becomes U+FFFD), as browsers do.
pub fn form_pairs(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    query.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (lenient(k), lenient(v))
    })
}

fn lenient(raw: &str) -> Cow<'_, str> {
    match decode_form_str(raw) {
        Some(c) => c,
        None => {
            let v: Vec<u8> = decode_form(raw.as_bytes()).collect();
            Cow::Owned(String::from_utf8_lossy(&v).into_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn lenient_iterators_pass_bad_escapes_through() {
        assert_eq!(decode(b"a%2").collect::<Vec<_>>(), b"a%2".to_vec());
        assert_eq!(decode(b"%g1+").collect::<Vec<_>>(), b"%g1+".to_vec());
        assert_eq!(decode_form(b"%41+").collect::<Vec<_>>(), b"A ".to_vec());
    }

    #[test]
    fn strict_forms_reject_and_bound() {
        let mut small = [0u8; 1];
        assert_eq!(decode_into(b"ab", &mut small), None);
        assert_eq!(decode_into(b"%4", &mut [0u8; 4]), None);
        assert_eq!(decode_str("%FF"), None, "not UTF-8");
        assert!(matches!(decode_str("plain"), Some(Cow::Borrowed("plain"))));
        assert_eq!(decode_form_into(b"a+b", &mut [0u8; 4]), Some(&b"a b"[..]));
    }

    #[test]
    fn form_pairs_split_and_decode() {
        let got: Vec<(String, String)> = form_pairs("a=1&&b=x+y%21&c&d=%zz")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let want = vec![
            ("a".into(), "1".into()),
            ("b".into(), "x y!".into()),
            ("c".into(), "".into()),
            ("d".into(), "%zz".into()),
        ];
        assert_eq!(got, want);
    }
}
