//! Message heads: the parsed types and the validation RFC 9112 asks for beyond syntax.

use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};
use core::mem::MaybeUninit;

use crate::config::{Config, MAX_HEADERS_CAP};
use crate::error::ErrorKind;

/// HTTP version of a received message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// HTTP/1.0
    Http10,
    /// HTTP/1.1
    Http11,
}

/// A request method. The common ones are variants; anything else keeps its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// HEAD
    Head,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
    /// CONNECT
    Connect,
    /// OPTIONS
    Options,
    /// TRACE
    Trace,
    /// PATCH
    Patch,
    /// Any other token (case-sensitive, as RFC 9110 says).
    Other(Bytes),
}

impl Method {
    pub(crate) fn from_slice(raw: &Bytes, m: &[u8]) -> Method {
        match m {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"CONNECT" => Method::Connect,
            b"OPTIONS" => Method::Options,
            b"TRACE" => Method::Trace,
            b"PATCH" => Method::Patch,
            other => Method::Other(raw.slice_ref(other)),
        }
    }

    /// The method as the shared [`viper_core::Method`], or `None` for a token outside
    /// the standard set (answer it with 501).
    pub fn standard(&self) -> Option<viper_core::Method> {
        Some(match self {
            Method::Get => viper_core::Method::Get,
            Method::Head => viper_core::Method::Head,
            Method::Post => viper_core::Method::Post,
            Method::Put => viper_core::Method::Put,
            Method::Delete => viper_core::Method::Delete,
            Method::Connect => viper_core::Method::Connect,
            Method::Options => viper_core::Method::Options,
            Method::Trace => viper_core::Method::Trace,
            Method::Patch => viper_core::Method::Patch,
            Method::Other(_) => return None,
        })
    }

    /// The method as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Method::Get => b"GET",
            Method::Head => b"HEAD",
            Method::Post => b"POST",
            Method::Put => b"PUT",
            Method::Delete => b"DELETE",
            Method::Connect => b"CONNECT",
            Method::Options => b"OPTIONS",
            Method::Trace => b"TRACE",
            Method::Patch => b"PATCH",
            Method::Other(b) => b,
        }
    }
}

impl From<viper_core::Method> for Method {
    fn from(m: viper_core::Method) -> Method {
        match m {
            viper_core::Method::Get => Method::Get,
            viper_core::Method::Head => Method::Head,
            viper_core::Method::Post => Method::Post,
            viper_core::Method::Put => Method::Put,
            viper_core::Method::Delete => Method::Delete,
            viper_core::Method::Connect => Method::Connect,
            viper_core::Method::Options => Method::Options,
            viper_core::Method::Trace => Method::Trace,
            viper_core::Method::Patch => Method::Patch,
        }
    }
}

impl PartialEq<viper_core::Method> for Method {
    fn eq(&self, other: &viper_core::Method) -> bool {
        self.standard() == Some(*other)
    }
}

/// Which of RFC 9112 §3.2's forms the request-target has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TargetForm {
    /// `/path?query`
    Origin,
    /// `http://host/path` (any scheme)
    Absolute,
    /// `host:port`, only with CONNECT
    Authority,
    /// `*`, only with OPTIONS
    Asterisk,
}

/// How a received message's body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// No body at all.
    Empty,
    /// Exactly this many bytes (Content-Length).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// A response body that ends when the server closes the connection.
    CloseDelimited,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Entry {
    name: (u32, u32),
    value: (u32, u32),
}

/// Header fields of a received head or trailer section, borrowed from one shared
/// buffer (no copy, one `Vec` of offsets).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    raw: Bytes,
    entries: Vec<Entry>,
}

impl Headers {
    /// Number of field lines.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no field lines.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn get_range(&self, r: (u32, u32)) -> &[u8] {
        self.raw.get(r.0 as usize..r.1 as usize).unwrap_or(&[])
    }

    /// The field lines in order, as `(name, value)`; names keep the peer's case.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.entries
            .iter()
            .map(move |e| (self.get_range(e.name), self.get_range(e.value)))
    }

    /// The first value of the field `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// Every value of the field `name` (case-insensitive), in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// The value of field line `i` as a zero-copy [`Bytes`].
    pub fn value_bytes(&self, i: usize) -> Option<Bytes> {
        let e = self.entries.get(i)?;
        Some(self.raw.slice(e.value.0 as usize..e.value.1 as usize))
    }
}

/// A received request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    /// The method.
    pub method: Method,
    /// The request-target, exactly as sent.
    pub target: Bytes,
    /// Its form (validated against the method).
    pub target_form: TargetForm,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The header fields.
    pub headers: Headers,
    /// How the body is framed.
    pub body: BodyKind,
    /// Whether the client asked to keep the connection open afterwards.
    pub keep_alive: bool,
    /// Whether the client sent `Expect: 100-continue`.
    pub expects_continue: bool,
    wants_upgrade: bool,
}

/// A received response head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code (100–999).
    pub status: u16,
    /// The reason phrase (may be empty).
    pub reason: Bytes,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The header fields.
    pub headers: Headers,
    /// How the body is framed.
    pub body: BodyKind,
    /// Whether the server keeps the connection open afterwards.
    pub keep_alive: bool,
}

/// Either head, as carried by [`Event::Upgrade`](crate::Event::Upgrade).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Head {
    /// The server role saw a request asking to switch (Upgrade or CONNECT).
    Request(RequestHead),
    /// The client role saw `101 Switching Protocols` or a 2xx answer to CONNECT.
    Response(ResponseHead),
}

// ---------------------------------------------------------------------------------
// Parsing helpers

/// Rejects any LF not preceded by CR (our bare-LF policy) and any header line that
/// starts with whitespace (obs-fold), which httparse reports less precisely.
fn check_lines(head: &[u8]) -> Result<(), ErrorKind> {
    let mut prev = 0u8;
    for (i, &b) in head.iter().enumerate() {
        if b == b'\n' {
            if prev != b'\r' {
                return Err(ErrorKind::BareLf);
            }
            if let Some(&next) = head.get(i + 1) {
                if next == b' ' || next == b'\t' {
                    return Err(ErrorKind::ObsFold);
                }
            }
        }
        prev = b;
    }
    Ok(())
}

/// The check for a head httparse accepted as complete. httparse rejects a CR that is
/// not part of CRLF and rejects obs-fold in requests, so "as many CR as LF" proves
/// every line ended in CRLF; both counts vectorise. The precise scan runs only when
/// the counts differ.
fn check_complete(head: &[u8]) -> Result<(), ErrorKind> {
    // Sum (+1 per CR, -1 per LF) in 64-byte blocks of i8 lanes, which vectorises to
    // 16+ bytes per step; a block's sum lies in -64..=64, so i8 cannot overflow.
    let mut diff: i64 = 0;
    for block in head.chunks(64) {
        let d = block.iter().fold(0i8, |acc, &b| {
            acc.wrapping_add(i8::from(b == b'\r') - i8::from(b == b'\n'))
        });
        diff += i64::from(d);
    }
    if diff == 0 {
        return Ok(());
    }
    check_lines(head)?;
    Err(ErrorKind::BareLf)
}

/// Finds an obs-fold or bare LF in an incomplete or rejected head so the error is
/// precise; returns `None` if neither is present.
fn classify_bad_head(buf: &[u8]) -> Option<ErrorKind> {
    check_lines(buf).err()
}

/// Parses `1*DIGIT`, or a comma-separated list of identical such values.
pub(crate) fn parse_content_length(v: &[u8]) -> Result<u64, ErrorKind> {
    let mut result: Option<u64> = None;
    for part in v.split(|&b| b == b',') {
        let part = trim_ows(part);
        if part.is_empty() {
            return Err(ErrorKind::InvalidContentLength);
        }
        let mut n: u64 = 0;
        for &d in part {
            if !d.is_ascii_digit() {
                return Err(ErrorKind::InvalidContentLength);
            }
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(d - b'0')))
                .ok_or(ErrorKind::InvalidContentLength)?;
        }
        match result {
            Some(prev) if prev != n => return Err(ErrorKind::InvalidContentLength),
            _ => result = Some(n),
        }
    }
    result.ok_or(ErrorKind::InvalidContentLength)
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Transfer-Encoding codings seen so far, across field lines.
#[derive(Default)]
struct TeState {
    seen: bool,
    chunked_last: bool,
    bad: Option<ErrorKind>,
}

impl TeState {
    fn add(&mut self, v: &[u8]) {
        self.seen = true;
        for part in v.split(|&b| b == b',') {
            let part = trim_ows(part);
            // Parameters (`;q=..`) are not allowed on transfer codings we accept.
            if part.is_empty() || !part.iter().all(|&b| is_tchar(b)) {
                self.bad.get_or_insert(ErrorKind::ChunkedNotFinal);
                continue;
            }
            if self.chunked_last {
                // Something follows `chunked`, or `chunked` repeats.
                self.bad = Some(ErrorKind::ChunkedNotFinal);
            }
            if part.eq_ignore_ascii_case(b"chunked") {
                self.chunked_last = true;
            } else {
                self.chunked_last = false;
                self.bad.get_or_insert(ErrorKind::UnsupportedTransferCoding);
            }
        }
    }
}

fn has_token(v: &[u8], token: &[u8]) -> bool {
    v.split(|&b| b == b',')
        .any(|t| trim_ows(t).eq_ignore_ascii_case(token))
}

fn is_authority_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:[]%".contains(&b)
}

fn valid_host(v: &[u8]) -> bool {
    v.iter().all(|&b| is_authority_byte(b))
}

fn valid_authority_form(t: &[u8]) -> bool {
    // host ":" port, host non-empty, port 1..=5 digits.
    let Some(colon) = t.iter().rposition(|&b| b == b':') else {
        return false;
    };
    let (host, port) = (&t[..colon], &t[colon + 1..]);
    !host.is_empty()
        && valid_host(host)
        && !port.is_empty()
        && port.len() <= 5
        && port.iter().all(u8::is_ascii_digit)
}

fn valid_absolute_form(t: &[u8]) -> bool {
    let Some(colon) = t.iter().position(|&b| b == b':') else {
        return false;
    };
    let scheme = &t[..colon];
    matches!(scheme.first(), Some(b) if b.is_ascii_alphabetic())
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        && colon + 1 < t.len()
}

fn offsets(base: &[u8], part: &[u8]) -> (u32, u32) {
    let start = (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize);
    // Heads are bounded by `max_head_size`, far below u32::MAX; saturate regardless.
    let s = u32::try_from(start).unwrap_or(u32::MAX);
    let e = u32::try_from(start.saturating_add(part.len())).unwrap_or(u32::MAX);
    (s, e)
}

fn entries_of(base: &[u8], hs: &[httparse::Header<'_>]) -> Vec<Entry> {
    let mut v = Vec::with_capacity(hs.len());
    for h in hs {
        v.push(Entry {
            name: offsets(base, h.name.as_bytes()),
            value: offsets(base, h.value),
        });
    }
    v
}

/// Scans the request line of a possibly incomplete head for an over-long target.
fn target_too_long(buf: &[u8], max: usize) -> bool {
    let line_end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    let line = &buf[..line_end];
    let Some(sp) = line.iter().position(|&b| b == b' ') else {
        return false;
    };
    let rest = &line[sp + 1..];
    let tlen = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
    tlen > max
}

fn map_httparse(e: httparse::Error, buf: &[u8]) -> ErrorKind {
    if e == httparse::Error::TooManyHeaders {
        return ErrorKind::TooManyHeaders;
    }
    classify_bad_head(buf).unwrap_or(ErrorKind::MalformedHead)
}

/// Parses a request head at the start of `buf`. `Ok(None)`: need more bytes.
/// On success the head's bytes are split off `buf`.
pub(crate) fn parse_request(
    buf: &mut BytesMut,
    cfg: &Config,
) -> Result<Option<RequestHead>, ErrorKind> {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS_CAP];
    let slots = &mut slots[..cfg.header_slots()];
    let mut req = httparse::Request::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_request_with_uninit_headers(
        &mut req,
        &buf[..],
        slots,
    );
    let n = match parsed {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            if target_too_long(&buf[..], cfg.max_uri_len) {
                return Err(ErrorKind::UriTooLong);
            }
            if buf.len() > cfg.max_head_size {
                return Err(ErrorKind::HeadTooLarge);
            }
            return Ok(None);
        }
        Err(e) => {
            if target_too_long(&buf[..], cfg.max_uri_len) {
                return Err(ErrorKind::UriTooLong);
            }
            return Err(map_httparse(e, &buf[..]));
        }
    };
    let base = &buf[..n];
    let method_s = req.method.unwrap_or("").as_bytes();
    let target_s = req.path.unwrap_or("").as_bytes();
    if target_s.len() > cfg.max_uri_len {
        return Err(ErrorKind::UriTooLong);
    }
    if n > cfg.max_head_size {
        return Err(ErrorKind::HeadTooLarge);
    }
    check_complete(base)?;
    let version = if req.version == Some(0) {
        Version::Http10
    } else {
        Version::Http11
    };

    let mut cl: Option<u64> = None;
    let mut te = TeState::default();
    let mut hosts = 0u32;
    let mut close = false;
    let mut ka = false;
    let mut expects_continue = false;
    let mut upgrade = false;
    let mut conn_upgrade = false;
    for h in req.headers.iter() {
        let name = h.name.as_bytes();
        // Dispatch on length first: most fields are none of these.
        if !matches!(name.len(), 4 | 6 | 7 | 10 | 14 | 17) {
            continue;
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            if cl.is_some() {
                return Err(ErrorKind::DuplicateContentLength);
            }
            cl = Some(parse_content_length(h.value)?);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            te.add(h.value);
        } else if name.eq_ignore_ascii_case(b"upgrade") {
            upgrade = true;
        } else if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
            if !valid_host(h.value) {
                return Err(ErrorKind::InvalidHost);
            }
        } else if name.eq_ignore_ascii_case(b"connection") {
            close |= has_token(h.value, b"close");
            ka |= has_token(h.value, b"keep-alive");
            conn_upgrade |= has_token(h.value, b"upgrade");
        } else if name.eq_ignore_ascii_case(b"expect") {
            if trim_ows(h.value).eq_ignore_ascii_case(b"100-continue") {
                expects_continue = version == Version::Http11;
            } else {
                return Err(ErrorKind::UnsupportedExpectation);
            }
        }
    }
    if hosts > 1 {
        return Err(ErrorKind::MultipleHost);
    }
    if hosts == 0 && version == Version::Http11 {
        return Err(ErrorKind::MissingHost);
    }
    let body = if te.seen {
        if cl.is_some() {
            return Err(ErrorKind::TransferEncodingWithContentLength);
        }
        if version == Version::Http10 {
            return Err(ErrorKind::TransferEncodingInHttp10);
        }
        if let Some(k) = te.bad {
            return Err(k);
        }
        if !te.chunked_last {
            return Err(ErrorKind::ChunkedNotFinal);
        }
        BodyKind::Chunked
    } else {
        match cl {
            Some(0) | None => BodyKind::Empty,
            Some(n) if n > cfg.max_body_size => return Err(ErrorKind::BodyTooLarge),
            Some(n) => BodyKind::Length(n),
        }
    };
    let is_connect = method_s == b"CONNECT";
    let target_form = if target_s == b"*" {
        if method_s != b"OPTIONS" {
            return Err(ErrorKind::InvalidTarget);
        }
        TargetForm::Asterisk
    } else if is_connect {
        if !valid_authority_form(target_s) {
            return Err(ErrorKind::InvalidTarget);
        }
        TargetForm::Authority
    } else if target_s.first() == Some(&b'/') {
        TargetForm::Origin
    } else if valid_absolute_form(target_s) {
        TargetForm::Absolute
    } else {
        return Err(ErrorKind::InvalidTarget);
    };
    let keep_alive = match version {
        Version::Http11 => !close,
        Version::Http10 => ka && !close,
    };
    let entries = entries_of(base, req.headers);
    let m_off = offsets(base, method_s);
    let t_off = offsets(base, target_s);
    let raw = buf.split_to(n).freeze();
    let method = Method::from_slice(
        &raw,
        raw.get(m_off.0 as usize..m_off.1 as usize).unwrap_or(&[]),
    );
    let target = raw.slice(t_off.0 as usize..t_off.1 as usize);
    Ok(Some(RequestHead {
        method,
        target,
        target_form,
        version,
        headers: Headers { raw, entries },
        body,
        keep_alive,
        expects_continue: expects_continue && body != BodyKind::Empty,
        wants_upgrade: is_connect || (upgrade && conn_upgrade),
    }))
}

impl RequestHead {
    /// Whether the request asks to switch protocols (`Upgrade` listed in
    /// `Connection`, or CONNECT).
    pub fn wants_upgrade(&self) -> bool {
        self.wants_upgrade
    }
}

/// Parses a response head at the start of `buf` for a request made with
/// `req_head` (HEAD) / `req_connect` (CONNECT). `Ok(None)`: need more bytes.
pub(crate) fn parse_response(
    buf: &mut BytesMut,
    cfg: &Config,
    req_head: bool,
    req_connect: bool,
) -> Result<Option<ResponseHead>, ErrorKind> {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS_CAP];
    let slots = &mut slots[..cfg.header_slots()];
    let mut res = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut res,
        &buf[..],
        slots,
    );
    let n = match parsed {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            if buf.len() > cfg.max_head_size {
                return Err(ErrorKind::HeadTooLarge);
            }
            return Ok(None);
        }
        Err(e) => return Err(map_httparse(e, &buf[..])),
    };
    if n > cfg.max_head_size {
        return Err(ErrorKind::HeadTooLarge);
    }
    let base = &buf[..n];
    check_complete(base)?;
    let status = res.code.unwrap_or(0);
    if !(100..=999).contains(&status) {
        return Err(ErrorKind::MalformedHead);
    }
    let version = if res.version == Some(0) {
        Version::Http10
    } else {
        Version::Http11
    };
    let mut cl: Option<u64> = None;
    let mut te = TeState::default();
    let mut close = false;
    let mut ka = false;
    for h in res.headers.iter() {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"content-length") {
            if cl.is_some() {
                return Err(ErrorKind::DuplicateContentLength);
            }
            cl = Some(parse_content_length(h.value)?);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            te.add(h.value);
        } else if name.eq_ignore_ascii_case(b"connection") {
            close |= has_token(h.value, b"close");
            ka |= has_token(h.value, b"keep-alive");
        }
    }
    let no_body = req_head
        || (100..200).contains(&status)
        || status == 204
        || status == 304
        || (req_connect && (200..300).contains(&status));
    let mut keep_alive = match version {
        Version::Http11 => !close,
        Version::Http10 => ka && !close,
    };
    let body = if no_body {
        BodyKind::Empty
    } else if te.seen {
        if cl.is_some() {
            return Err(ErrorKind::TransferEncodingWithContentLength);
        }
        if version == Version::Http11 && te.bad.is_none() && te.chunked_last {
            BodyKind::Chunked
        } else if te.bad == Some(ErrorKind::ChunkedNotFinal) {
            return Err(ErrorKind::ChunkedNotFinal);
        } else {
            // RFC 9112 §6.3 item 4: not chunked-final → read until close.
            BodyKind::CloseDelimited
        }
    } else {
        match cl {
            Some(0) => BodyKind::Empty,
            Some(n) if n > cfg.max_body_size => return Err(ErrorKind::BodyTooLarge),
            Some(n) => BodyKind::Length(n),
            None => BodyKind::CloseDelimited,
        }
    };
    if body == BodyKind::CloseDelimited {
        keep_alive = false;
    }
    let entries = entries_of(base, res.headers);
    let r_off = offsets(base, res.reason.unwrap_or("").as_bytes());
    let raw = buf.split_to(n).freeze();
    let reason = if r_off.1 > r_off.0 {
        raw.slice(r_off.0 as usize..r_off.1 as usize)
    } else {
        Bytes::new()
    };
    Ok(Some(ResponseHead {
        status,
        reason,
        version,
        headers: Headers { raw, entries },
        body,
        keep_alive,
    }))
}

/// Parses a trailer section (after the last chunk). `Ok(None)`: need more.
pub(crate) fn parse_trailers(
    buf: &mut BytesMut,
    cfg: &Config,
) -> Result<Option<Headers>, ErrorKind> {
    if buf.starts_with(b"\r\n") {
        let _ = buf.split_to(2);
        return Ok(Some(Headers::default()));
    }
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS_CAP];
    let slots = &mut slots[..cfg.header_slots()];
    match httparse::parse_headers(&buf[..], slots) {
        Ok(httparse::Status::Complete((n, hs))) => {
            if n > cfg.max_trailer_size {
                return Err(ErrorKind::InvalidTrailers);
            }
            let base = &buf[..n];
            check_complete(base).map_err(|_| ErrorKind::InvalidTrailers)?;
            let entries = entries_of(base, hs);
            let raw = buf.split_to(n).freeze();
            Ok(Some(Headers { raw, entries }))
        }
        Ok(httparse::Status::Partial) => {
            if buf.len() > cfg.max_trailer_size {
                return Err(ErrorKind::InvalidTrailers);
            }
            Ok(None)
        }
        Err(_) => Err(ErrorKind::InvalidTrailers),
    }
}
