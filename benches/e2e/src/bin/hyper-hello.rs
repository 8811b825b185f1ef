//! The peer for `benches/e2e/run.sh`: a hyper 1.x server answering every request with
//! `Hello, world!` (as the demo's `/hello` route does), over HTTP/1.1 with keep-alive
//! and HTTP/2 with prior knowledge (h2c) on one port.
//!
//! `hyper-hello [ADDR] [THREADS]` (default `127.0.0.1:8081`, one tokio worker per CPU).
//! `THREADS = 1` runs a current-thread runtime: the pinned benchmark
//! (`benches/e2e/pinned.sh`) compares one server thread with one server thread.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut resp = Response::new(Full::new(Bytes::from_static(b"Hello, world!")));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(resp)
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".to_string());
    let workers = std::env::args()
        .nth(2)
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let rt = if workers <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()?
    };
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("hyper listening on http://{}", listener.local_addr()?);
        loop {
            let (sock, _) = match listener.accept().await {
                Ok(s) => s,
                Err(_) => continue,
            };
            let _ = sock.set_nodelay(true);
            tokio::spawn(async move {
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder.http2().max_concurrent_streams(100);
                let _ = builder
                    .serve_connection(TokioIo::new(sock), service_fn(hello))
                    .await;
            });
        }
    })
}
