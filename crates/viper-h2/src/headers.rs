//! Owned header lists and request validation (RFC 9113 §8).

use alloc::vec::Vec;

/// One header field borrowed from a [`HeaderList`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    /// Lowercase name (pseudo-header fields start with `:`).
    pub name: &'a [u8],
    /// Value.
    pub value: &'a [u8],
    /// Received as (or to be sent as) a never-indexed literal.
    pub sensitive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    start: u32,
    name_len: u32,
    value_len: u32,
    sensitive: bool,
}

/// An ordered list of header fields in one buffer (two allocations per list).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderList {
    buf: Vec<u8>,
    pos: Vec<Pos>,
}

impl HeaderList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a field.
    pub fn push(&mut self, name: &[u8], value: &[u8], sensitive: bool) {
        let start = self.buf.len() as u32;
        self.buf.extend_from_slice(name);
        self.buf.extend_from_slice(value);
        self.pos.push(Pos {
            start,
            name_len: name.len() as u32,
            value_len: value.len() as u32,
            sensitive,
        });
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.pos.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    /// The field at `i`.
    pub fn get_index(&self, i: usize) -> Option<Field<'_>> {
        let p = self.pos.get(i)?;
        let s = p.start as usize;
        let n = s + p.name_len as usize;
        let v = n + p.value_len as usize;
        Some(Field {
            name: self.buf.get(s..n)?,
            value: self.buf.get(n..v)?,
            sensitive: p.sensitive,
        })
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = Field<'_>> + '_ {
        (0..self.pos.len()).filter_map(move |i| self.get_index(i))
    }

    /// The value of the first field called `name` (lowercase).
    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.iter().find(|f| f.name == name).map(|f| f.value)
    }
}

/// A validated request head: the pseudo-header fields and the regular fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestHead {
    list: HeaderList,
    method: usize,
    scheme: Option<usize>,
    authority: Option<usize>,
    path: Option<usize>,
    protocol: Option<usize>,
    pseudo: usize,
}

impl RequestHead {
    fn value(&self, i: Option<usize>) -> Option<&[u8]> {
        self.list.get_index(i?).map(|f| f.value)
    }
    /// `:method`.
    pub fn method(&self) -> &[u8] {
        self.value(Some(self.method)).unwrap_or(b"")
    }
    /// `:scheme` (absent for CONNECT).
    pub fn scheme(&self) -> Option<&[u8]> {
        self.value(self.scheme)
    }
    /// `:authority` (or the Host of an upgraded HTTP/1.1 request).
    pub fn authority(&self) -> Option<&[u8]> {
        self.value(self.authority)
    }
    /// `:path` (absent for CONNECT).
    pub fn path(&self) -> Option<&[u8]> {
        self.value(self.path)
    }
    /// `:protocol` (extended CONNECT, RFC 8441), if present.
    pub fn protocol(&self) -> Option<&[u8]> {
        self.value(self.protocol)
    }
    /// The regular (non-pseudo) fields in order.
    pub fn headers(&self) -> impl Iterator<Item = Field<'_>> + '_ {
        self.list.iter().skip(self.pseudo)
    }
    /// The first regular field called `name` (lowercase).
    pub fn header(&self, name: &[u8]) -> Option<&[u8]> {
        self.headers().find(|f| f.name == name).map(|f| f.value)
    }
    /// All fields, pseudo-header fields first.
    pub fn fields(&self) -> &HeaderList {
        &self.list
    }
}

/// Connection-specific fields forbidden in HTTP/2 (§8.2.2).
pub(crate) fn is_connection_specific(name: &[u8]) -> bool {
    matches!(
        name,
        b"connection" | b"proxy-connection" | b"keep-alive" | b"transfer-encoding" | b"upgrade"
    )
}

/// §8.2.1 name check for regular fields: no uppercase, no controls/space/DEL/non-ASCII,
/// no colon, not empty.
pub(crate) fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&b| (0x21..0x7f).contains(&b) && !b.is_ascii_uppercase() && b != b':')
}

/// §8.2.1 value check: no NUL/CR/LF, no leading or trailing whitespace.
pub(crate) fn valid_value(v: &[u8]) -> bool {
    let ws = |b: &u8| *b == b' ' || *b == b'\t';
    !v.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n')
        && !v.first().is_some_and(ws)
        && !v.last().is_some_and(ws)
}

/// Builds a [`RequestHead`] (or trailers) field by field and remembers the first reason
/// the message is malformed.
pub(crate) struct Builder {
    pub(crate) head: RequestHead,
    trailers: bool,
    saw_regular: bool,
    method: Option<usize>,
    pub(crate) malformed: Option<&'static str>,
    pub(crate) content_length: Option<u64>,
    pub(crate) priority: Option<(u8, bool)>,
    allow_protocol: bool,
}

impl Builder {
    pub(crate) fn new(trailers: bool, allow_protocol: bool) -> Self {
        Builder {
            head: RequestHead::default(),
            trailers,
            saw_regular: false,
            method: None,
            malformed: None,
            content_length: None,
            priority: None,
            allow_protocol,
        }
    }

    fn bad(&mut self, why: &'static str) {
        if self.malformed.is_none() {
            self.malformed = Some(why);
        }
    }

    pub(crate) fn field(&mut self, name: &[u8], value: &[u8], sensitive: bool) {
        if self.malformed.is_some() {
            return;
        }
        if !valid_value(value) {
            return self.bad("invalid field value");
        }
        let idx = self.head.list.len();
        if let Some(pseudo) = name.strip_prefix(b":") {
            if self.trailers {
                return self.bad("pseudo-header field in trailers");
            }
            if self.saw_regular {
                return self.bad("pseudo-header field after regular field");
            }
            let slot = match pseudo {
                b"method" => &mut self.method,
                b"scheme" => &mut self.head.scheme,
                b"authority" => &mut self.head.authority,
                b"path" => &mut self.head.path,
                b"protocol" if self.allow_protocol => &mut self.head.protocol,
                _ => return self.bad("unknown or response pseudo-header field"),
            };
            if slot.is_some() {
                return self.bad("duplicate pseudo-header field");
            }
            *slot = Some(idx);
            self.head.pseudo += 1;
        } else {
            self.saw_regular = true;
            if !valid_name(name) {
                return self.bad("invalid field name");
            }
            if is_connection_specific(name) {
                return self.bad("connection-specific field");
            }
            if name == b"te" && !value.eq_ignore_ascii_case(b"trailers") {
                return self.bad("te other than trailers");
            }
            if name == b"content-length" && !self.trailers {
                let Some(n) = parse_u64(value) else {
                    return self.bad("invalid content-length");
                };
                if self.content_length.is_some_and(|c| c != n) {
                    return self.bad("conflicting content-length");
                }
                self.content_length = Some(n);
            }
            if name == b"priority" && !self.trailers {
                self.priority = parse_priority(value);
            }
        }
        self.head.list.push(name, value, sensitive);
    }

    /// Finishes a request head: checks the required pseudo-header fields (§8.3.1).
    pub(crate) fn finish_request(mut self) -> Result<(RequestHead, Option<u64>), &'static str> {
        if let Some(m) = self.malformed {
            return Err(m);
        }
        let Some(m) = self.method else {
            return Err("missing :method");
        };
        self.head.method = m;
        let h = &self.head;
        if h.method() == b"CONNECT" && h.protocol.is_none() {
            if h.authority.is_none() || h.scheme.is_some() || h.path.is_some() {
                return Err("malformed CONNECT");
            }
        } else {
            if h.scheme.is_none() {
                return Err("missing :scheme");
            }
            match h.path() {
                None => return Err("missing :path"),
                Some([]) => return Err("empty :path"),
                _ => {}
            }
            if h.protocol.is_some() && h.method() != b"CONNECT" {
                return Err(":protocol without CONNECT");
            }
        }
        Ok((self.head, self.content_length))
    }

    /// Finishes a trailer block.
    pub(crate) fn finish_trailers(self) -> Result<HeaderList, &'static str> {
        match self.malformed {
            Some(m) => Err(m),
            None => Ok(self.head.list),
        }
    }
}

/// A field list for a request built from an upgraded HTTP/1.1 request.
pub(crate) fn head_from_h1(
    method: &[u8],
    target: &[u8],
    authority: &[u8],
    headers: &[(&[u8], &[u8])],
) -> Result<(RequestHead, Option<u64>), ()> {
    let mut b = Builder::new(false, false);
    let mut lower = Vec::new();
    b.field(b":method", method, false);
    b.field(b":scheme", b"http", false);
    let host = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(b"host"))
        .map(|(_, v)| *v);
    let auth = if authority.is_empty() {
        host.unwrap_or(b"")
    } else {
        authority
    };
    if !auth.is_empty() {
        b.field(b":authority", auth, false);
    }
    b.field(b":path", target, false);
    for (n, v) in headers {
        lower.clear();
        lower.extend(n.iter().map(|c| c.to_ascii_lowercase()));
        if is_connection_specific(&lower)
            || matches!(lower.as_slice(), b"host" | b"http2-settings")
            || (lower == b"te" && !v.eq_ignore_ascii_case(b"trailers"))
        {
            continue;
        }
        b.field(&lower, v, false);
    }
    b.finish_request().map_err(|_| ())
}

pub(crate) fn parse_u64(v: &[u8]) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &c in v {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(n)
}

/// Parses an RFC 9218 Priority field value (`u=N, i`), leniently: unknown members and
/// invalid values are ignored. Returns (urgency, incremental).
pub(crate) fn parse_priority(v: &[u8]) -> Option<(u8, bool)> {
    let mut urgency = 3u8;
    let mut incremental = false;
    for member in v.split(|&c| c == b',') {
        let m = trim(member);
        let (key, val) = match m.iter().position(|&c| c == b'=') {
            Some(i) => (m.get(..i)?, Some(trim(m.get(i + 1..)?))),
            None => (m, None),
        };
        let key = key.split(|&c| c == b';').next().unwrap_or(key);
        match key {
            b"u" => {
                if let Some(&[d]) = val {
                    if (b'0'..=b'7').contains(&d) {
                        urgency = d - b'0';
                    }
                }
            }
            b"i" => match val {
                None => incremental = true,
                Some(b"?1") => incremental = true,
                Some(b"?0") => incremental = false,
                _ => {}
            },
            _ => {}
        }
    }
    Some((urgency, incremental))
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}
