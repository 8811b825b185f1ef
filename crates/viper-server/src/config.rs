//! Limits and timers of a server connection.

use viper_core::Duration;

/// Every limit and timer of a [`Connection`](crate::Connection), with safe defaults.
///
/// The protocol crates' own configurations are embedded as they are: their limits
/// (head size, header count, body size, HPACK table, stream count, frame size, message
/// size…) and timers (header read, body read, idle, SETTINGS ACK, pong, close) apply
/// unchanged. This struct adds what only the server core knows about.
#[derive(Clone, Debug)]
pub struct Config {
    /// HTTP/1.1 limits and timers. `max_requests_per_connection` (default 1000) is the
    /// keep-alive request limit; `idle_timeout` (default 60 s) purges idle keep-alive
    /// connections — never one that streams an SSE response or carries a WebSocket.
    pub h1: viper_h1::Config,
    /// HTTP/2 limits and timers; `max_concurrent_streams` (default 100) bounds streams.
    /// `enable_connect_protocol` is `true` here (viper-h2's own default is `false`):
    /// extended CONNECT with `:protocol websocket` (RFC 8441) is reported as a request
    /// with [`Upgrade::WebSocket`](crate::Upgrade::WebSocket) and accepted with
    /// [`Connection::accept_websocket`](crate::Connection::accept_websocket), exactly
    /// as over HTTP/1.1.
    /// `auto_release` (default `true`) credits request body bytes back to the peer as
    /// their [`Event::Data`](crate::Event::Data) is polled; set it to `false` for
    /// per-stream backpressure, then call
    /// [`Connection::release_body`](crate::Connection::release_body) as the body is
    /// consumed and [`Connection::discard_body`](crate::Connection::discard_body) for
    /// one that will not be.
    pub h2: viper_h2::Config,
    /// WebSocket limits and timers (message size 4 MiB, pong and close timeouts).
    /// `max_message_size` also bounds decompression: a compressed message that
    /// inflates beyond it (a deflate bomb) is closed with 1009.
    pub ws: viper_ws::Config,
    /// permessage-deflate (RFC 7692) for WebSocket sessions: accepted when the client
    /// offers it, with these preferences (context takeover, window bits, level, and
    /// `min_compress_size`, below which messages go out uncompressed). `None`
    /// declines it. Default: `Some(DeflateConfig::default())` (context takeover on both
    /// sides, 15-bit windows, level 1, 32 bytes minimum) — except on bare-metal and
    /// ESP-IDF targets (`target_os = "none"` / `"espidf"`), where it is `None`: a
    /// deflate context costs tens of KiB per session.
    pub ws_deflate: Option<viper_ws::deflate::DeflateConfig>,
    /// Largest number of bytes the connection holds for the socket before
    /// `send_data`/`send_sse`/`ws_send` push back (return 0 or `WouldBlock`) so a slow
    /// reader cannot make the server buffer without limit. Default 256 KiB.
    pub max_output_buffer: usize,
    /// An HTTP/2 connection without open streams is shut down gracefully (GOAWAY) after
    /// this long. Default 60 s; `None` disables it. Streams (including SSE) keep it
    /// alive.
    pub h2_idle_timeout: Option<Duration>,
    /// SSE streams get a comment line (`:\n\n`) after this much silence, so proxies and
    /// browsers keep them open. Default 15 s; `None` disables heartbeats.
    pub sse_heartbeat: Option<Duration>,
    /// Accept `Upgrade: h2c` on HTTP/1.1 (RFC 7540 §3.2). Default `true`.
    pub h2c_upgrade: bool,
    /// Accept the HTTP/2 prior-knowledge preface. Default `true`; when `false` the
    /// preface is answered as HTTP/1.1 would (400).
    pub h2_prior_knowledge: bool,
    /// Serve HTTP/2 only, with prior knowledge (as nghttpd does): every connection is
    /// HTTP/2 from its first byte, so input that is not the connection preface gets
    /// GOAWAY(PROTOCOL_ERROR) and a close (RFC 9113 §3.4) instead of an HTTP/1.1
    /// answer. Default `false` (HTTP/1.1 and h2c share the port).
    pub h2_only: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            h1: viper_h1::Config::default(),
            h2: viper_h2::Config {
                // WebSocket over HTTP/2 (RFC 8441), served by `accept_websocket`.
                enable_connect_protocol: true,
                ..viper_h2::Config::default()
            },
            ws: viper_ws::Config::default(),
            ws_deflate: if cfg!(any(target_os = "none", target_os = "espidf")) {
                None
            } else {
                Some(viper_ws::deflate::DeflateConfig::default())
            },
            max_output_buffer: 256 * 1024,
            h2_idle_timeout: Some(Duration::from_secs(60)),
            sse_heartbeat: Some(Duration::from_secs(15)),
            h2c_upgrade: true,
            h2_prior_knowledge: true,
            h2_only: false,
        }
    }
}
