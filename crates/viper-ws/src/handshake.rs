//! The opening handshake (RFC 6455 §4), both roles, over plain header data.
//!
//! No HTTP parser is involved: the server side takes the request head as
//! method, version and a header iterator (what viper-h1's `Upgrade` event
//! carries) and the client side takes the response's status and headers.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::conn::{Config, Role, WebSocket};
use crate::deflate::{self, DeflateConfig, DeflateParams};

/// The GUID of RFC 6455 §1.3.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// What the opening handshake agreed on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Negotiated {
    /// The subprotocol both sides use, if any.
    pub protocol: Option<String>,
    /// permessage-deflate parameters, if the extension is in use.
    pub deflate: Option<DeflateParams>,
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2).
pub fn accept_key(key: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(key);
    h.update(GUID);
    STANDARD.encode(h.digest().bytes())
}

/// Why a handshake was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeError {
    /// The request method is not GET. (400)
    MethodNotGet,
    /// The request is not HTTP/1.1 or later. (400)
    HttpVersion,
    /// No `Host` header. (400)
    MissingHost,
    /// No `websocket` token in `Upgrade`. (426)
    MissingUpgrade,
    /// No `upgrade` token in `Connection`. (400)
    MissingConnectionUpgrade,
    /// `Sec-WebSocket-Version` missing or not 13. (426, with `Sec-WebSocket-Version: 13`)
    UnsupportedVersion,
    /// `Sec-WebSocket-Key` missing, repeated, or not 16 bytes in base64. (400)
    InvalidKey,
    /// More subprotocols offered, or a longer `Sec-WebSocket-Extensions`,
    /// than [`HandshakeLimits`] allows. (400)
    TooManyHeaders,
    /// Client side: the status was not 101.
    UnexpectedStatus(u16),
    /// Client side: `Sec-WebSocket-Accept` missing or wrong.
    InvalidAccept,
    /// Client side: a subprotocol we did not offer, or more than one.
    InvalidProtocol,
    /// Client side: an extension we did not offer or with invalid parameters.
    InvalidExtension,
}

/// Limits on what a server handshake reads from the request headers.
///
/// [`accept`] uses [`HandshakeLimits::default`]; [`accept_with_limits`] takes
/// these explicitly. A request over either limit is refused with
/// [`HandshakeError::TooManyHeaders`] (400 Bad Request) as soon as the header
/// that crosses it is seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandshakeLimits {
    /// Most subprotocol tokens offered in `Sec-WebSocket-Protocol`, counted
    /// over all such headers (empty list elements are not counted). One more
    /// → 400. Default 32.
    pub max_protocols: usize,
    /// Longest `Sec-WebSocket-Extensions` value in bytes, repeated headers
    /// counted joined with one `,` between them (as HTTP combines them),
    /// whitespace included. One byte more → 400. Default 4096.
    pub max_extensions_len: usize,
}

impl Default for HandshakeLimits {
    fn default() -> Self {
        HandshakeLimits {
            max_protocols: 32,
            max_extensions_len: 4096,
        }
    }
}

/// Server-side handshake settings.
#[derive(Clone, Debug, Default)]
pub struct ServerConfig {
    /// Subprotocols we speak, in order of preference. The first one the
    /// client also offered is selected.
    pub protocols: Vec<String>,
    /// Accept permessage-deflate with these preferences; `None` declines it.
    pub deflate: Option<DeflateConfig>,
}

/// A successful server handshake: write a 101 with [`Accept::headers`], then
/// switch the connection to [`Accept::into_websocket`].
#[derive(Clone, Debug)]
pub struct Accept {
    /// Headers of the 101 response (`Upgrade`, `Connection`,
    /// `Sec-WebSocket-Accept`, and the negotiated protocol/extension).
    pub headers: Vec<(&'static str, String)>,
    /// What was agreed on.
    pub negotiated: Negotiated,
}

impl Accept {
    /// The response status: 101 Switching Protocols.
    pub const STATUS: u16 = 101;

    /// Appends the complete HTTP/1.1 101 response head to `out`.
    pub fn write_response(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\n");
        write_headers(&self.headers, out);
    }

    /// The server connection, having already received `received` (the bytes
    /// that followed the request head).
    pub fn into_websocket(self, config: Config, received: &[u8]) -> WebSocket {
        WebSocket::with_received(Role::Server, config, &self.negotiated, 0, received)
    }
}

/// A refused handshake: answer with [`Reject::status`] and [`Reject::headers`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// 400 Bad Request or 426 Upgrade Required.
    pub status: u16,
    /// Headers to include (426 carries `Upgrade` / `Sec-WebSocket-Version`).
    pub headers: Vec<(&'static str, String)>,
    /// What was wrong.
    pub error: HandshakeError,
}

impl Reject {
    fn new(error: HandshakeError) -> Self {
        let (status, headers) = match error {
            HandshakeError::UnsupportedVersion => (
                426,
                alloc::vec![("Sec-WebSocket-Version", "13".to_string())],
            ),
            HandshakeError::MissingUpgrade => (
                426,
                alloc::vec![
                    ("Upgrade", "websocket".to_string()),
                    ("Connection", "Upgrade".to_string()),
                    ("Sec-WebSocket-Version", "13".to_string()),
                ],
            ),
            _ => (400, Vec::new()),
        };
        Reject {
            status,
            headers,
            error,
        }
    }

    /// Appends the complete HTTP/1.1 response head (empty body) to `out`.
    pub fn write_response(&self, out: &mut Vec<u8>) {
        let line: &[u8] = if self.status == 426 {
            b"HTTP/1.1 426 Upgrade Required\r\n"
        } else {
            b"HTTP/1.1 400 Bad Request\r\n"
        };
        out.extend_from_slice(line);
        let mut h = self.headers.clone();
        h.push(("Content-Length", "0".to_string()));
        write_headers(&h, out);
    }
}

fn write_headers(headers: &[(&'static str, String)], out: &mut Vec<u8>) {
    for (n, v) in headers {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

fn trim(v: &[u8]) -> &[u8] {
    let s = v
        .iter()
        .position(|b| *b != b' ' && *b != b'\t')
        .unwrap_or(v.len());
    let e = v
        .iter()
        .rposition(|b| *b != b' ' && *b != b'\t')
        .map_or(s, |e| e + 1);
    &v[s..e.max(s)]
}

/// Whether the comma-separated header value contains `token` (case-insensitive).
fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|b| *b == b',')
        .any(|t| trim(t).eq_ignore_ascii_case(token))
}

/// Validates an upgrade request head (RFC 6455 §4.2.1) and builds the answer.
///
/// `version` is the HTTP version as `(major, minor)`. `headers` yields
/// `(name, value)` pairs as they appeared; repeated headers are combined as
/// HTTP allows.
///
/// The request headers are read within [`HandshakeLimits::default`]; use
/// [`accept_with_limits`] to choose other limits.
pub fn accept<'h, I>(
    method: &[u8],
    version: (u8, u8),
    headers: I,
    config: &ServerConfig,
) -> Result<Accept, Reject>
where
    I: IntoIterator<Item = (&'h [u8], &'h [u8])>,
{
    accept_with_limits(
        method,
        version,
        headers,
        config,
        &HandshakeLimits::default(),
    )
}

/// [`accept`] with explicit limits on the request headers: a request that
/// offers more than `limits.max_protocols` subprotocols or a
/// `Sec-WebSocket-Extensions` longer than `limits.max_extensions_len` bytes
/// is refused with 400 ([`HandshakeError::TooManyHeaders`]).
pub fn accept_with_limits<'h, I>(
    method: &[u8],
    version: (u8, u8),
    headers: I,
    config: &ServerConfig,
    limits: &HandshakeLimits,
) -> Result<Accept, Reject>
where
    I: IntoIterator<Item = (&'h [u8], &'h [u8])>,
{
    if method != b"GET" {
        return Err(Reject::new(HandshakeError::MethodNotGet));
    }
    if version < (1, 1) {
        return Err(Reject::new(HandshakeError::HttpVersion));
    }
    let mut host = false;
    let mut upgrade = false;
    let mut connection = false;
    let mut version_ok = None::<bool>;
    let mut key: Option<&[u8]> = None;
    let mut key_count = 0u32;
    let mut offered: Vec<&[u8]> = Vec::new();
    let mut extensions = String::new();
    let mut extensions_len = 0usize;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(b"host") {
            host = true;
        } else if name.eq_ignore_ascii_case(b"upgrade") {
            upgrade |= has_token(value, b"websocket");
        } else if name.eq_ignore_ascii_case(b"connection") {
            connection |= has_token(value, b"upgrade");
        } else if name.eq_ignore_ascii_case(b"sec-websocket-version") {
            // Repeated or listed versions must all be 13 to be understood.
            let ok = value.split(|b| *b == b',').all(|v| trim(v) == b"13");
            version_ok = Some(version_ok.unwrap_or(true) && ok);
        } else if name.eq_ignore_ascii_case(b"sec-websocket-key") {
            key = Some(trim(value));
            key_count += 1;
        } else if name.eq_ignore_ascii_case(b"sec-websocket-protocol") {
            for p in value.split(|b| *b == b',') {
                let p = trim(p);
                if !p.is_empty() {
                    if offered.len() >= limits.max_protocols {
                        return Err(Reject::new(HandshakeError::TooManyHeaders));
                    }
                    offered.push(p);
                }
            }
        } else if name.eq_ignore_ascii_case(b"sec-websocket-extensions") {
            // Counted as the combined value: previous values, one ',' between.
            // Saturating: a header iterator may repeat one large slice many times.
            let joined = extensions_len
                .saturating_add(usize::from(extensions_len > 0))
                .saturating_add(value.len());
            if joined > limits.max_extensions_len {
                return Err(Reject::new(HandshakeError::TooManyHeaders));
            }
            extensions_len = joined;
            if let Ok(v) = core::str::from_utf8(value) {
                if !extensions.is_empty() {
                    extensions.push(',');
                }
                extensions.push_str(v);
            }
        }
    }
    if !upgrade {
        return Err(Reject::new(HandshakeError::MissingUpgrade));
    }
    if !connection {
        return Err(Reject::new(HandshakeError::MissingConnectionUpgrade));
    }
    if version_ok != Some(true) {
        return Err(Reject::new(HandshakeError::UnsupportedVersion));
    }
    if !host {
        return Err(Reject::new(HandshakeError::MissingHost));
    }
    let key = match key {
        Some(k) if key_count == 1 && STANDARD.decode(k).is_ok_and(|d| d.len() == 16) => k,
        _ => return Err(Reject::new(HandshakeError::InvalidKey)),
    };
    let headers = alloc::vec![
        ("Upgrade", "websocket".to_string()),
        ("Connection", "Upgrade".to_string()),
        ("Sec-WebSocket-Accept", accept_key(key)),
    ];
    Ok(negotiate(headers, &offered, &extensions, config))
}

/// Validates the WebSocket part of an HTTP/2 extended CONNECT request (RFC 8441 §5:
/// `:method CONNECT`, `:protocol websocket`, which the caller has checked) and builds
/// the answer. There is no key and no `Upgrade`/`Connection`: the answer is a `200`
/// with [`Accept::headers`] (the selected subprotocol and extension, if any) on the
/// stream, and the stream's DATA then carries WebSocket frames both ways.
/// `Sec-WebSocket-Version` must be 13 (otherwise 400 with
/// `Sec-WebSocket-Version: 13`). Limits as in [`accept`].
pub fn accept_h2<'h, I>(headers: I, config: &ServerConfig) -> Result<Accept, Reject>
where
    I: IntoIterator<Item = (&'h [u8], &'h [u8])>,
{
    let limits = HandshakeLimits::default();
    let mut version_ok = None::<bool>;
    let mut offered: Vec<&[u8]> = Vec::new();
    let mut extensions = String::new();
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(b"sec-websocket-version") {
            let ok = value.split(|b| *b == b',').all(|v| trim(v) == b"13");
            version_ok = Some(version_ok.unwrap_or(true) && ok);
        } else if name.eq_ignore_ascii_case(b"sec-websocket-protocol") {
            for p in value
                .split(|b| *b == b',')
                .map(trim)
                .filter(|p| !p.is_empty())
            {
                if offered.len() >= limits.max_protocols {
                    return Err(Reject::new(HandshakeError::TooManyHeaders));
                }
                offered.push(p);
            }
        } else if name.eq_ignore_ascii_case(b"sec-websocket-extensions") {
            let joined = extensions
                .len()
                .saturating_add(usize::from(!extensions.is_empty()))
                .saturating_add(value.len());
            if joined > limits.max_extensions_len {
                return Err(Reject::new(HandshakeError::TooManyHeaders));
            }
            if let Ok(v) = core::str::from_utf8(value) {
                if !extensions.is_empty() {
                    extensions.push(',');
                }
                extensions.push_str(v);
            }
        }
    }
    if version_ok != Some(true) {
        let mut r = Reject::new(HandshakeError::UnsupportedVersion);
        // HTTP/2 has no 426 Upgrade Required: 400, still naming the version.
        r.status = 400;
        return Err(r);
    }
    Ok(negotiate(Vec::new(), &offered, &extensions, config))
}

/// Subprotocol and permessage-deflate selection, shared by both handshakes.
fn negotiate(
    mut headers: Vec<(&'static str, String)>,
    offered: &[&[u8]],
    extensions: &str,
    config: &ServerConfig,
) -> Accept {
    let protocol = config
        .protocols
        .iter()
        .find(|p| offered.contains(&p.as_bytes()))
        .cloned();
    if let Some(p) = &protocol {
        headers.push(("Sec-WebSocket-Protocol", p.clone()));
    }
    let mut deflate = None;
    if let Some(cfg) = &config.deflate {
        let offers = deflate::for_each_extension(extensions)
            .filter(|(name, _)| name.eq_ignore_ascii_case("permessage-deflate"))
            .map(|(_, params)| params);
        if let Some((params, resp)) = deflate::server_accept(cfg, offers) {
            headers.push(("Sec-WebSocket-Extensions", resp));
            deflate = Some(params);
        }
    }
    Accept {
        headers,
        negotiated: Negotiated { protocol, deflate },
    }
}

/// Client side of the handshake: builds the request and checks the answer.
#[derive(Clone, Debug)]
pub struct ClientHandshake {
    key: String,
    protocols: Vec<String>,
    deflate: Option<DeflateConfig>,
}

impl ClientHandshake {
    /// A handshake with the 16 random bytes of `Sec-WebSocket-Key` (take them
    /// from a real entropy source).
    pub fn new(key: [u8; 16]) -> Self {
        ClientHandshake {
            key: STANDARD.encode(key),
            protocols: Vec::new(),
            deflate: None,
        }
    }

    /// Offers these subprotocols, in order of preference.
    pub fn protocols<S: Into<String>>(mut self, protocols: impl IntoIterator<Item = S>) -> Self {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Offers permessage-deflate with these preferences.
    pub fn deflate(mut self, config: DeflateConfig) -> Self {
        self.deflate = Some(config);
        self
    }

    /// The handshake headers to add to a `GET` request (besides `Host`).
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = alloc::vec![
            ("Upgrade", "websocket".to_string()),
            ("Connection", "Upgrade".to_string()),
            ("Sec-WebSocket-Key", self.key.clone()),
            ("Sec-WebSocket-Version", "13".to_string()),
        ];
        if !self.protocols.is_empty() {
            h.push(("Sec-WebSocket-Protocol", self.protocols.join(", ")));
        }
        if let Some(d) = &self.deflate {
            h.push(("Sec-WebSocket-Extensions", deflate::client_offer(d)));
        }
        h
    }

    /// Appends a complete `GET path HTTP/1.1` request head to `out`.
    pub fn write_request(&self, host: &str, path: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(b"GET ");
        out.extend_from_slice(path.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        out.extend_from_slice(host.as_bytes());
        out.extend_from_slice(b"\r\n");
        write_headers(&self.headers(), out);
    }

    /// Validates the server's response head (RFC 6455 §4.2.2 / §4.1 client
    /// requirements) and returns what was negotiated.
    pub fn validate_response<'h, I>(
        &self,
        status: u16,
        headers: I,
    ) -> Result<Negotiated, HandshakeError>
    where
        I: IntoIterator<Item = (&'h [u8], &'h [u8])>,
    {
        if status != 101 {
            return Err(HandshakeError::UnexpectedStatus(status));
        }
        let expected = accept_key(self.key.as_bytes());
        let mut upgrade = false;
        let mut connection = false;
        let mut accept_ok = None::<bool>;
        let mut protocol: Option<String> = None;
        let mut deflate = None;
        for (name, value) in headers {
            if name.eq_ignore_ascii_case(b"upgrade") {
                upgrade |= has_token(value, b"websocket");
            } else if name.eq_ignore_ascii_case(b"connection") {
                connection |= has_token(value, b"upgrade");
            } else if name.eq_ignore_ascii_case(b"sec-websocket-accept") {
                accept_ok = Some(accept_ok.is_none() && trim(value) == expected.as_bytes());
            } else if name.eq_ignore_ascii_case(b"sec-websocket-protocol") {
                let v = core::str::from_utf8(trim(value))
                    .map_err(|_| HandshakeError::InvalidProtocol)?;
                if protocol.is_some() || !self.protocols.iter().any(|p| p == v) {
                    return Err(HandshakeError::InvalidProtocol);
                }
                protocol = Some(v.to_string());
            } else if name.eq_ignore_ascii_case(b"sec-websocket-extensions") {
                let v =
                    core::str::from_utf8(value).map_err(|_| HandshakeError::InvalidExtension)?;
                for (ext, params) in deflate::for_each_extension(v) {
                    let cfg = match &self.deflate {
                        Some(c)
                            if ext.eq_ignore_ascii_case("permessage-deflate")
                                && deflate.is_none() =>
                        {
                            c
                        }
                        _ => return Err(HandshakeError::InvalidExtension),
                    };
                    deflate = Some(
                        deflate::client_validate(cfg, params)
                            .map_err(|_| HandshakeError::InvalidExtension)?,
                    );
                }
            }
        }
        if !upgrade {
            return Err(HandshakeError::MissingUpgrade);
        }
        if !connection {
            return Err(HandshakeError::MissingConnectionUpgrade);
        }
        if accept_ok != Some(true) {
            return Err(HandshakeError::InvalidAccept);
        }
        Ok(Negotiated { protocol, deflate })
    }
}
