//! The WebSocket peer for `benches/e2e/pinned.sh`: a tokio-tungstenite echo server
//! (text and binary messages sent back as they came) on a current-thread runtime, the
//! usual way to write one with that crate.
//!
//! `tt-echo [ADDR]` (default `127.0.0.1:8082`); any path is accepted.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8082".to_string());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("tokio-tungstenite echo on ws://{}", listener.local_addr()?);
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                continue;
            };
            let _ = sock.set_nodelay(true);
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(sock).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    let echo = matches!(msg, Message::Text(_) | Message::Binary(_));
                    if matches!(msg, Message::Close(_)) || (echo && ws.send(msg).await.is_err()) {
                        break;
                    }
                }
            });
        }
    })
}
