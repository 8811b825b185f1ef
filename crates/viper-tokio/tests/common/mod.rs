//! A server on a loopback port in its own runtime, and bounded external processes.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use viper_tokio::{App, Hub, Request, Response, ServerConfig, SharedStats, SseMessage, WsMessage};

pub struct TestServer {
    pub addr: SocketAddr,
    pub stats: SharedStats,
    pub rt: Arc<tokio::runtime::Runtime>,
    stop: Option<oneshot::Sender<()>>,
    done: Option<std::sync::mpsc::Receiver<()>>,
}

impl TestServer {
    pub fn start<S: Send + Sync + 'static>(app: App<S>, config: ServerConfig) -> TestServer {
        let rt = Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        );
        let stats = SharedStats::new();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stop_rx) = oneshot::channel::<()>();
        let (done_tx, done) = std::sync::mpsc::channel();
        let st = stats.clone();
        rt.spawn(async move {
            viper_tokio::serve(listener, app, config, st, async {
                let _ = stop_rx.await;
            })
            .await
            .unwrap();
            let _ = done_tx.send(());
        });
        TestServer {
            addr,
            stats,
            rt,
            stop: Some(stop),
            done: Some(done),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Triggers the graceful shutdown without waiting for it (see [`Self::shutdown`]).
    pub fn begin_shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }

    /// Graceful shutdown; waits (bounded) until `serve` returned.
    pub fn shutdown(&mut self) {
        self.begin_shutdown();
        if let Some(d) = self.done.take() {
            d.recv_timeout(Duration::from_secs(15))
                .expect("serve returned after shutdown");
        }
    }

    /// Waits (bounded) until `f(stats)` holds.
    pub fn wait_for(&self, what: &str, f: impl Fn(&SharedStats) -> bool) {
        let end = Instant::now() + Duration::from_secs(10);
        while !f(&self.stats) {
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}: {}",
                self.stats.to_json()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

#[allow(unused_imports)]
pub use viper_test_support::run_bounded;

/// Whether `program` runs (`--version`); a missing peer fails the test unless skipping is
/// allowed (viper-test-support). `package` is the Debian package that provides it.
pub fn peer_available(program: &str, package: &str) -> bool {
    viper_test_support::program(
        program,
        &["--version"],
        &format!("apt-get install {package}"),
    )
    .is_some()
}

/// Whether the test Python (the project venv) imports every module in `modules`.
pub fn python_modules(modules: &[&str]) -> bool {
    viper_test_support::python_module(modules).is_some()
}

/// The test Python interpreter (the project venv's, see viper-test-support).
pub fn python() -> std::path::PathBuf {
    viper_test_support::python()
}

pub struct DemoState {
    pub hub: Hub,
}

async fn hello(_r: Request, _s: Arc<DemoState>) -> Response {
    Response::text("Hello, world!")
}

async fn item(req: Request, _s: Arc<DemoState>) -> Response {
    let id = req.param_int("id").unwrap_or(-1);
    let verbose = req.query_as::<bool>("verbose").unwrap_or(false);
    Response::json(format!("{{\"id\":{id},\"verbose\":{verbose}}}"))
}

async fn echo(mut req: Request, _s: Arc<DemoState>) -> Response {
    match req.body_bytes(1 << 20).await {
        Ok(b) => Response::new(200, b),
        Err(()) => Response::status(413),
    }
}

async fn stream(_r: Request, _s: Arc<DemoState>) -> Response {
    Response::stream(200, |tx| async move {
        for i in 0..5 {
            if tx.send(format!("chunk{i};")).await.is_err() {
                return;
            }
        }
    })
}

async fn events(req: Request, _s: Arc<DemoState>) -> Response {
    let start: u64 = req
        .head
        .last_event_id()
        .and_then(|v| v.parse().ok())
        .map_or(0, |n: u64| n + 1);
    Response::sse(move |tx| async move {
        for n in start..start + 3 {
            let m = SseMessage::data(format!("r{n}"))
                .id(n.to_string())
                .event("reading");
            if tx.send(m).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

async fn ws_echo(_r: Request, _s: Arc<DemoState>) -> Response {
    Response::websocket(&[], |mut ws| async move {
        while let Some(m) = ws.recv().await {
            if ws.send(m).await.is_err() {
                return;
            }
        }
    })
}

/// Subscribes to the hub and ignores what the client sends.
async fn ws_hub(_r: Request, s: Arc<DemoState>) -> Response {
    Response::websocket(&[], move |mut ws| async move {
        let me = ws.join(&s.hub).await;
        let _ = ws.send_text("joined").await;
        while ws.recv().await.is_some() {}
        s.hub.remove(me);
    })
}

pub fn demo_app(queue: usize) -> App<DemoState> {
    App::new(DemoState {
        hub: Hub::new(queue),
    })
    .get("/hello", hello)
    .get("/items/{id:int}", item)
    .post("/echo", echo)
    .get("/stream", stream)
    .get("/events", events)
    .get("/ws/echo", ws_echo)
    .get("/ws/hub", ws_hub)
}

pub fn text_of(m: &WsMessage) -> &str {
    match m {
        WsMessage::Text(t) => t,
        WsMessage::Binary(_) => "",
    }
}
