//! Limits and timers of a connection.

use viper_core::Duration;

/// Hard upper bound for [`Config::max_headers`]: the header slots live on the stack
/// while a head is parsed, so this bounds stack use (≈ 32 bytes per slot).
pub const MAX_HEADERS_CAP: usize = 128;

/// How a server answers `Expect: 100-continue`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContinueMode {
    /// Queue `HTTP/1.1 100 Continue` as soon as the request head is reported.
    Automatic,
    /// The application decides: call `send_continue()` to ask for the body, or send a
    /// final response instead (the connection then closes after it unless the body has
    /// fully arrived).
    Manual,
}

/// Every limit and timer of a [`Connection`](crate::Connection), with safe defaults.
///
/// Hitting a limit produces an [`Event::Error`](crate::Event::Error) whose
/// [`Error::status`](crate::Error::status) is the exact answer a server sends
/// (see each field), and the connection closes after that answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Largest head (start line + header fields + final CRLF), in bytes.
    /// Default 16 KiB. Exceeded → `431`.
    pub max_head_size: usize,
    /// Most header fields in one head (capped at [`MAX_HEADERS_CAP`]). Default 64.
    /// Exceeded → `431`.
    pub max_headers: usize,
    /// Longest request-target, in bytes. Default 8 KiB. Exceeded → `414`.
    pub max_uri_len: usize,
    /// Largest message body, in bytes (Content-Length or the sum of the chunks).
    /// Default 1 MiB. Exceeded → `413`. Bodies are streamed, never buffered whole.
    pub max_body_size: u64,
    /// Longest chunk extension (everything after the chunk size on its line).
    /// Default 256 bytes. Exceeded → `400`.
    pub max_chunk_ext_len: usize,
    /// Largest trailer section of a chunked body, in bytes. Default 4 KiB.
    /// Exceeded → `400`.
    pub max_trailer_size: usize,
    /// Requests served on one connection before it is closed (the last response
    /// carries `Connection: close`). Default 1000; `0` means unlimited.
    pub max_requests_per_connection: u32,
    /// Bytes `receive` buffers before it stops accepting input (it returns how much it
    /// took). Never less than `max_head_size + 1`. Default 32 KiB.
    pub max_buffered_input: usize,
    /// Time allowed from the first byte of a head to its end (slowloris defence).
    /// Default 10 s. Expired → `408`. `None` disables it.
    pub header_read_timeout: Option<Duration>,
    /// Time a persistent connection may sit idle between messages. Default 60 s.
    /// Expired → the connection closes without an answer. `None` disables it.
    pub idle_timeout: Option<Duration>,
    /// Longest silence while a body is being received. Default 30 s.
    /// Expired → `408`. `None` disables it.
    pub body_read_timeout: Option<Duration>,
    /// How a server answers `Expect: 100-continue`. Default [`ContinueMode::Automatic`].
    pub continue_mode: ContinueMode,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_head_size: 16 * 1024,
            max_headers: 64,
            max_uri_len: 8 * 1024,
            max_body_size: 1024 * 1024,
            max_chunk_ext_len: 256,
            max_trailer_size: 4 * 1024,
            max_requests_per_connection: 1000,
            max_buffered_input: 32 * 1024,
            header_read_timeout: Some(Duration::from_secs(10)),
            idle_timeout: Some(Duration::from_secs(60)),
            body_read_timeout: Some(Duration::from_secs(30)),
            continue_mode: ContinueMode::Automatic,
        }
    }
}

impl Config {
    pub(crate) fn header_slots(&self) -> usize {
        self.max_headers.min(MAX_HEADERS_CAP)
    }

    pub(crate) fn input_cap(&self) -> usize {
        self.max_buffered_input
            .max(self.max_head_size.saturating_add(1))
    }
}
