//! The request as handlers and extractors see it.

use alloc::string::String;
use alloc::vec::Vec;

use viper_router::Method;
use viper_server::Headers;

/// One request, head and complete body, with the matched route's path parameters
/// (percent-decoded). Extractors read from it; `&RequestContext` is also an extractor
/// target through [`crate::FromRequest`] implementations of your own.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The method.
    pub method: Method,
    /// The path (without the query), as sent.
    pub path: String,
    /// The raw query string (after `?`), if any.
    pub query: Option<String>,
    /// The header fields (names lowercase).
    pub headers: Headers,
    /// The path parameters of the matched route, in pattern order, decoded.
    pub params: Vec<(String, String)>,
    /// The whole request body.
    pub body: bytes::Bytes,
}

impl RequestContext {
    /// The first value of header `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get_str(name)
    }

    /// The decoded query pairs, in order (`+` is a space, `%XX` escapes decoded,
    /// invalid UTF-8 replaced).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let Some(q) = self.query.as_deref() else {
            return out;
        };
        for part in q.split('&') {
            if part.is_empty() {
                continue;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            out.push((form_decode(k), form_decode(v)));
        }
        out
    }
}

/// `application/x-www-form-urlencoded` decoding of one component.
pub(crate) fn form_decode(s: &str) -> String {
    let plus: Vec<u8> = s
        .bytes()
        .map(|c| if c == b'+' { b' ' } else { c })
        .collect();
    decode_pct(&plus)
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn decode_pct(b: &[u8]) -> String {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
