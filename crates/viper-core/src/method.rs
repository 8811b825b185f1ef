//! The HTTP request method, one type for every Viper crate.

use core::fmt;

/// A standard request method (RFC 9110 §9, plus PATCH from RFC 5789).
///
/// Method tokens are case-sensitive. A token outside this set parses to `None`; a
/// server answers it with `501 Not Implemented` (RFC 9110 §9.1), and a parser that must
/// keep it (viper-h1) keeps its bytes beside this type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `CONNECT`
    Connect,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
    /// `PATCH`
    Patch,
}

impl Method {
    /// Every method, in the order an `Allow` header lists them.
    pub const ALL: [Method; 9] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Connect,
        Method::Options,
        Method::Trace,
        Method::Patch,
    ];

    /// The token as sent on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Connect => "CONNECT",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Patch => "PATCH",
        }
    }

    /// The token as bytes.
    pub const fn as_bytes(self) -> &'static [u8] {
        self.as_str().as_bytes()
    }

    /// Parses a token exactly (case-sensitive); `None` for anything else.
    pub fn parse(token: &[u8]) -> Option<Method> {
        Some(match token {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"CONNECT" => Method::Connect,
            b"OPTIONS" => Method::Options,
            b"TRACE" => Method::Trace,
            b"PATCH" => Method::Patch,
            _ => return None,
        })
    }

    /// Position in [`Method::ALL`] (0..9), for tables indexed by method.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Whether RFC 9110 §9.2.1 calls the method safe (read-only).
    pub const fn is_safe(self) -> bool {
        matches!(
            self,
            Method::Get | Method::Head | Method::Options | Method::Trace
        )
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_and_is_case_sensitive() {
        for (i, m) in Method::ALL.iter().enumerate() {
            assert_eq!(Method::parse(m.as_bytes()), Some(*m));
            assert_eq!(m.index(), i);
        }
        assert_eq!(Method::parse(b"get"), None);
        assert_eq!(Method::parse(b"PROPFIND"), None);
        assert_eq!(Method::parse(b""), None);
        assert!(Method::Head.is_safe() && !Method::Post.is_safe());
    }
}
