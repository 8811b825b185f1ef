//! HTTP methods and the `Allow` set a 405 or an OPTIONS answer carries.

use core::fmt;

/// The request methods a route can be registered for (RFC 9110 §9 plus PATCH, RFC 5789).
///
/// Method tokens are case-sensitive. A server that receives a token outside this set
/// should answer `501 Not Implemented` (RFC 9110 §9.1) without consulting the router.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD` (falls back to the `GET` handler unless `Config::head_falls_back_to_get` is off)
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `CONNECT`
    Connect,
    /// `OPTIONS` (answered from the table unless a handler is registered or
    /// `Config::auto_options` is off)
    Options,
    /// `TRACE`
    Trace,
    /// `PATCH`
    Patch,
}

/// Number of [`Method`] variants.
pub(crate) const METHOD_COUNT: usize = 9;

impl Method {
    /// Every method, in the order `Allow` lists them.
    pub const ALL: [Method; METHOD_COUNT] = [
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

    /// The method's token as sent on the wire.
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

    /// Parses a method token exactly (case-sensitive); `None` for anything else.
    pub fn parse(token: &[u8]) -> Option<Method> {
        Method::ALL
            .iter()
            .copied()
            .find(|m| m.as_str().as_bytes() == token)
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    pub(crate) const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of methods, as listed in an `Allow` header (RFC 9110 §10.2.1).
///
/// `Display` writes the header value, e.g. `GET, HEAD, OPTIONS`, in [`Method::ALL`]
/// order. The set already contains `HEAD` when it is served by `GET` and `OPTIONS` when
/// the router answers it from the table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Allow(u16);

impl Allow {
    /// The empty set.
    pub const EMPTY: Allow = Allow(0);

    pub(crate) const fn from_bits(bits: u16) -> Allow {
        Allow(bits)
    }

    /// Whether `m` is in the set.
    pub const fn contains(self, m: Method) -> bool {
        self.0 & m.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Number of methods in the set.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The set with `m` added.
    #[must_use]
    pub const fn with(self, m: Method) -> Allow {
        Allow(self.0 | m.bit())
    }

    /// The methods in the set, in [`Method::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Method> {
        Method::ALL.into_iter().filter(move |m| self.contains(*m))
    }
}

impl fmt::Display for Allow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(m.as_str())?;
        }
        Ok(())
    }
}
