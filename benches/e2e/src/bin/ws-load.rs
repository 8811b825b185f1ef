//! WebSocket load generator for `benches/e2e/pinned.sh`: `CONNS` tokio-tungstenite
//! clients each send a `SIZE`-byte binary message and wait for its echo before sending
//! the next (ping-pong), for `SECS` seconds; prints the echoed messages per second.
//! Every echo is checked byte for byte; a wrong or missing echo fails the run.
//!
//! `ws-load URL [CONNS=50] [SIZE=64] [SECS=10]`

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(url) = args.get(1).cloned() else {
        eprintln!("usage: ws-load URL [CONNS] [SIZE] [SECS]");
        std::process::exit(2);
    };
    let arg = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (conns, size, secs) = (arg(2, 50) as usize, arg(3, 64) as usize, arg(4, 10));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let total = rt.block_on(async move {
        let mut clients = Vec::with_capacity(conns);
        for _ in 0..conns {
            let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
                .await
                .expect("connect");
            clients.push(ws);
        }
        let end = Instant::now() + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for (i, mut ws) in clients.into_iter().enumerate() {
            tasks.push(tokio::spawn(async move {
                let payload: Vec<u8> = (0..size).map(|b| (b + i) as u8).collect();
                let mut n = 0u64;
                while Instant::now() < end {
                    ws.send(Message::binary(payload.clone()))
                        .await
                        .expect("send");
                    match ws.next().await {
                        Some(Ok(Message::Binary(b))) if b[..] == payload[..] => n += 1,
                        other => panic!("bad echo: {other:?}"),
                    }
                }
                let _ = ws.close(None).await;
                n
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await.expect("client task");
        }
        total
    });
    println!(
        "ws-load: {total} echoes in {secs} s over {conns} connections of {size} B: {:.0} msg/s",
        total as f64 / secs as f64
    );
}
