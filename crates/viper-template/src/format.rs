//! Python-compatible text formatting: float repr, string repr, HTML escaping, JSON, URL
//! quoting.

use alloc::string::String;
use core::fmt::{self, Write};

/// Writes `f` exactly like Python's `repr(float)`.
pub(crate) fn write_float(f: f64, out: &mut dyn Write) -> fmt::Result {
    if f.is_nan() {
        return out.write_str("nan");
    }
    if f.is_infinite() {
        return out.write_str(if f > 0.0 { "inf" } else { "-inf" });
    }
    if f == 0.0 {
        return out.write_str(if f.is_sign_negative() { "-0.0" } else { "0.0" });
    }
    let a = f.abs();
    if (1e-4..1e16).contains(&a) {
        // Python prints these without an exponent; Rust's `Display` writes the same
        // shortest round-trip digits, only without the ".0" of integral values.
        let mut w = DotTrack { out, dot: false };
        write!(w, "{f}")?;
        return if w.dot { Ok(()) } else { out.write_str(".0") };
    }
    // Shortest round-trip digits and exponent from Rust's `{:e}`.
    let mut buf = String::new();
    let _ = write!(buf, "{:e}", f);
    let (neg, body) = match buf.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, buf.as_str()),
    };
    let (mant, exp) = body.split_once('e').unwrap_or((body, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    if neg {
        out.write_str("-")?;
    }
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.write_str("0.")?;
            for _ in 0..(-exp - 1) {
                out.write_str("0")?;
            }
            out.write_str(&digits)
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.write_str(&digits)?;
                for _ in digits.len()..int_len {
                    out.write_str("0")?;
                }
                out.write_str(".0")
            } else {
                out.write_str(&digits[..int_len])?;
                out.write_str(".")?;
                out.write_str(&digits[int_len..])
            }
        }
    } else {
        out.write_str(&digits[..1])?;
        if digits.len() > 1 {
            out.write_str(".")?;
            out.write_str(&digits[1..])?;
        }
        let sign = if exp < 0 { '-' } else { '+' };
        write!(out, "e{}{:02}", sign, exp.unsigned_abs())
    }
}

/// Passes writes through and notes whether a '.' went by.
struct DotTrack<'a> {
    out: &'a mut dyn Write,
    dot: bool,
}

impl Write for DotTrack<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.dot |= s.contains('.');
        self.out.write_str(s)
    }
}

/// A fixed-size stack buffer for short formatted numbers (fails when full).
pub(crate) struct StackBuf {
    buf: [u8; 64],
    len: usize,
}

impl StackBuf {
    pub(crate) fn new() -> Self {
        StackBuf {
            buf: [0; 64],
            len: 0,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so the bytes are valid UTF-8.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes `s` like Python's `repr(str)`.
pub(crate) fn write_repr_str(s: &str, out: &mut dyn Write) -> fmt::Result {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.write_char(quote)?;
    for c in s.chars() {
        match c {
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if c == quote => {
                out.write_char('\\')?;
                out.write_char(c)?;
            }
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                write!(out, "\\x{:02x}", c as u32)?
            }
            c => out.write_char(c)?,
        }
    }
    out.write_char(quote)
}

/// Writes `s` HTML-escaped the way MarkupSafe does (`& < > " '`).
pub(crate) fn write_escaped(s: &str, out: &mut dyn Write) -> fmt::Result {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&#34;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // `i` is at an ASCII byte, so both slices are on char boundaries.
        out.write_str(s.get(start..i).unwrap_or(""))?;
        out.write_str(rep)?;
        start = i + 1;
    }
    out.write_str(s.get(start..).unwrap_or(""))
}

/// A `String` writer that refuses to grow past `max` bytes.
pub(crate) struct Capped<'a> {
    pub(crate) s: &'a mut String,
    pub(crate) max: usize,
}

impl Write for Capped<'_> {
    fn write_str(&mut self, t: &str) -> fmt::Result {
        if self.s.len().saturating_add(t.len()) > self.max {
            return Err(fmt::Error);
        }
        self.s.push_str(t);
        Ok(())
    }
}

/// HTML-escapes everything written through it.
pub(crate) struct Escaper<'a>(pub(crate) &'a mut dyn Write);

impl Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_escaped(s, self.0)
    }
}

/// HTML-escapes into a new string.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let _ = write_escaped(s, &mut out);
    out
}

/// Python's `urllib.parse.quote` over UTF-8 with `/` safe unless `for_qs`, where a space
/// becomes `+`.
pub(crate) fn url_quote(s: &str, for_qs: bool, out: &mut String) {
    for &b in s.as_bytes() {
        let keep = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~');
        if keep || (!for_qs && b == b'/') {
            out.push(b as char);
        } else if for_qs && b == b' ' {
            out.push('+');
        } else {
            let _ = write!(out, "%{:02X}", b);
        }
    }
}

/// Writes a JSON string like Python's `json.dumps` (ensure_ascii) followed by Jinja2's
/// HTML-safe replacements of `< > & '`.
pub(crate) fn write_json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\'' => out.push_str("\\u0027"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{:04x}", u);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> String {
        let mut s = String::new();
        write_float(x, &mut s).unwrap();
        s
    }

    #[test]
    fn float_repr_matches_python() {
        assert_eq!(f(1.0), "1.0");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(f(1e16), "1e+16");
        assert_eq!(f(1e15), "1000000000000000.0");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(0.00001), "1e-05");
        assert_eq!(f(-1.5e20), "-1.5e+20");
        assert_eq!(f(123.456), "123.456");
        assert_eq!(f(-0.0), "-0.0");
    }

    #[test]
    fn repr_str_quotes() {
        let mut s = String::new();
        write_repr_str("it's", &mut s).unwrap();
        assert_eq!(s, "\"it's\"");
        s.clear();
        write_repr_str("a\n'\"", &mut s).unwrap();
        assert_eq!(s, "'a\\n\\'\"'");
    }
}
