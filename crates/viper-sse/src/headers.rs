//! What an HTTP server needs around an event stream, independent of any HTTP
//! crate: the response head and the `Last-Event-ID` request header.

/// The media type of an event stream body.
pub const CONTENT_TYPE: &str = "text/event-stream";

/// The request header a reconnecting client uses to send its last event ID
/// (lower case, as HTTP/2 and HTTP/3 require).
pub const LAST_EVENT_ID: &str = "last-event-id";

/// Response headers for an event stream, lower-case names:
///
/// - `content-type: text/event-stream` (the format is always UTF-8);
/// - `cache-control: no-cache`, so no cache stores or replays the stream;
/// - `x-accel-buffering: no`, so buffering reverse proxies (nginx) pass
///   events through as they are written.
///
/// The server must also leave the body length open (HTTP/1.1 chunked or
/// close-delimited, or HTTP/2 DATA frames) and flush after each write.
pub const RESPONSE_HEADERS: &[(&str, &str)] = &[
    ("content-type", CONTENT_TYPE),
    ("cache-control", "no-cache"),
    ("x-accel-buffering", "no"),
];

/// Reads `Last-Event-ID` from request headers given as `(name, value)` byte
/// pairs, so that a stream can resume after the event the client last saw.
///
/// Rules: the name matches ASCII case-insensitively; the first occurrence
/// wins; leading and trailing spaces and tabs are trimmed (as HTTP does for
/// field values). `None` when the header is absent, empty, not UTF-8, or
/// holds NUL, CR or LF (which no id sent by a conforming client contains).
///
/// ```
/// let headers: [(&[u8], &[u8]); 2] = [(b"Accept", b"text/event-stream"), (b"Last-Event-ID", b" 41 ")];
/// assert_eq!(viper_sse::last_event_id(headers), Some("41"));
/// ```
pub fn last_event_id<'a, I>(headers: I) -> Option<&'a str>
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    let (_, value) = headers
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(LAST_EVENT_ID.as_bytes()))?;
    let value = value.trim_ows();
    if value.is_empty() || value.iter().any(|&b| matches!(b, 0 | b'\r' | b'\n')) {
        return None;
    }
    core::str::from_utf8(value).ok()
}

trait TrimWs {
    fn trim_ows(&self) -> &Self;
}

impl TrimWs for [u8] {
    fn trim_ows(&self) -> &[u8] {
        let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
        let start = self.iter().position(|b| !is_ws(b)).unwrap_or(self.len());
        let end = self
            .iter()
            .rposition(|b| !is_ws(b))
            .map_or(start, |i| i + 1);
        self.get(start..end).unwrap_or(&[])
    }
}
