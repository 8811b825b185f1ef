//! What the peer did wrong, and what the application did wrong.

use core::fmt;

/// A protocol violation by the peer, a limit hit, or a timer that fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The head is not valid HTTP/1.1 syntax (as judged by `httparse`). → 400
    MalformedHead,
    /// A line of the head ends in a bare LF (policy: CRLF required). → 400
    BareLf,
    /// A header line starts with whitespace (obs-fold). → 400
    ObsFold,
    /// The head is larger than [`Config::max_head_size`](crate::Config::max_head_size). → 431
    HeadTooLarge,
    /// More header fields than [`Config::max_headers`](crate::Config::max_headers). → 431
    TooManyHeaders,
    /// The request-target is longer than [`Config::max_uri_len`](crate::Config::max_uri_len). → 414
    UriTooLong,
    /// The request-target matches none of the forms allowed for the method. → 400
    InvalidTarget,
    /// HTTP/1.1 request without Host. → 400
    MissingHost,
    /// More than one Host field. → 400
    MultipleHost,
    /// The Host value is not a valid authority. → 400
    InvalidHost,
    /// Content-Length is not 1*DIGIT, overflows, or is a list of differing values. → 400
    InvalidContentLength,
    /// Content-Length appears in more than one field line. → 400
    DuplicateContentLength,
    /// Both Transfer-Encoding and Content-Length (smuggling guard). → 400
    TransferEncodingWithContentLength,
    /// Transfer-Encoding in an HTTP/1.0 message. → 400
    TransferEncodingInHttp10,
    /// `chunked` is not the final coding, appears twice, or the list is malformed. → 400
    ChunkedNotFinal,
    /// A transfer coding this crate does not decode (anything but `chunked`). → 501
    UnsupportedTransferCoding,
    /// An `Expect` value other than `100-continue`. → 417
    UnsupportedExpectation,
    /// A chunk size that is empty, not hex, or followed by junk. → 400
    InvalidChunkSize,
    /// A chunk size that does not fit in 64 bits. → 400
    ChunkSizeOverflow,
    /// A chunk extension longer than the limit, or with control bytes. → 400
    InvalidChunkExtension,
    /// A chunk's data is not followed by CRLF. → 400
    InvalidChunkTerminator,
    /// The trailer section is malformed or larger than the limit. → 400
    InvalidTrailers,
    /// The body exceeds [`Config::max_body_size`](crate::Config::max_body_size). → 413
    BodyTooLarge,
    /// The peer closed the connection in the middle of a message. → 400
    IncompleteMessage,
    /// A response arrived although no request was outstanding (client role).
    UnexpectedData,
    /// The head did not arrive in time (slowloris). → 408
    HeaderTimeout,
    /// The body stalled longer than the body-read timeout. → 408
    BodyTimeout,
    /// The connection was idle too long between messages. → close, no answer
    IdleTimeout,
}

impl ErrorKind {
    /// The status code a server answers this error with, if any.
    pub fn status(self) -> Option<u16> {
        use ErrorKind::*;
        Some(match self {
            HeadTooLarge | TooManyHeaders => 431,
            UriTooLong => 414,
            BodyTooLarge => 413,
            UnsupportedTransferCoding => 501,
            UnsupportedExpectation => 417,
            HeaderTimeout | BodyTimeout => 408,
            IdleTimeout | UnexpectedData => return None,
            MalformedHead
            | BareLf
            | ObsFold
            | InvalidTarget
            | MissingHost
            | MultipleHost
            | InvalidHost
            | InvalidContentLength
            | DuplicateContentLength
            | TransferEncodingWithContentLength
            | TransferEncodingInHttp10
            | ChunkedNotFinal
            | InvalidChunkSize
            | ChunkSizeOverflow
            | InvalidChunkExtension
            | InvalidChunkTerminator
            | InvalidTrailers
            | IncompleteMessage => 400,
        })
    }
}

/// A receive-side error reported through [`Event::Error`](crate::Event::Error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The status a server should answer with (`None`: close without answering, and
    /// always `None` in the client role).
    pub status: Option<u16>,
    /// Whether the connection closes after the answer. Every receive error is fatal
    /// to HTTP/1.1 framing, so this is currently always `true`.
    pub close: bool,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(s) => write!(f, "{:?} (answer {s}, close)", self.kind),
            None => write!(f, "{:?} (close)", self.kind),
        }
    }
}

/// A command the connection refused because of the application's own mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendError {
    /// The command does not fit the current state (e.g. a second response, data
    /// before a head, a request while one is outstanding, or the wrong role).
    WrongState,
    /// A header name or value, method, target or status is not valid on the wire
    /// (e.g. contains CR or LF); nothing was written.
    InvalidHead,
    /// More body than the declared Content-Length.
    BodyTooLong,
    /// `finish` before the declared Content-Length was sent.
    BodyIncomplete,
    /// This message cannot have a body (HEAD response, 204, 304, bodiless request).
    BodyNotAllowed,
    /// Trailers need chunked framing.
    TrailersNotAllowed,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
