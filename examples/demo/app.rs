//! The demo application (`cargo run --release --example demo`): a JSON API with typed
//! path and query parameters, an SSE stream of readings, a WebSocket chat broadcast to
//! every client, a page at `/` using all three, and `/debug/stats`.
//!
//! Routes: `GET /`, `GET /hello`, `GET /api/items/{id:int}?verbose=true`,
//! `GET /api/sum/{a:float}/{b:float}`, `POST /api/echo`,
//! `GET /events?interval_ms=&count=` (resumes from `Last-Event-ID`), `GET /ws/chat`,
//! `GET /debug/stats`.

use std::sync::Arc;
use std::time::Duration;

use viper_tokio::{App, Hub, Request, Response, SharedStats, SseMessage, WsMessage};

/// The demo's shared state: the chat hub and the server's statistics.
pub struct Demo {
    hub: Hub,
    stats: SharedStats,
}

/// The page served at `/`.
pub const PAGE: &str = include_str!("index.html");

async fn index(_req: Request, _s: Arc<Demo>) -> Response {
    Response::html(PAGE)
}

async fn hello(_req: Request, _s: Arc<Demo>) -> Response {
    Response::text("Hello, world!")
}

async fn item(req: Request, _s: Arc<Demo>) -> Response {
    let id = req.param_int("id").unwrap_or_default();
    let verbose = req.query_as::<bool>("verbose").unwrap_or(false);
    let mut v = serde_json::json!({ "id": id, "name": format!("item-{id}") });
    if verbose {
        v["description"] = serde_json::json!(format!("Item number {id}, served by Viper"));
    }
    Response::json(v.to_string())
}

async fn sum(req: Request, _s: Arc<Demo>) -> Response {
    let (Some(a), Some(b)) = (req.param_float("a"), req.param_float("b")) else {
        return Response::status(400);
    };
    Response::json(serde_json::json!({ "a": a, "b": b, "sum": a + b }).to_string())
}

async fn echo(mut req: Request, _s: Arc<Demo>) -> Response {
    match req.body_bytes(1 << 20).await {
        Ok(body) => Response::new(200, body).header("content-type", "application/octet-stream"),
        Err(()) => Response::status(413),
    }
}

async fn events(req: Request, _s: Arc<Demo>) -> Response {
    // Resume after the last reading the client saw.
    let start: u64 = req
        .head
        .last_event_id()
        .and_then(|v| v.parse().ok())
        .map_or(0, |n: u64| n + 1);
    let every = req
        .query_as::<u64>("interval_ms")
        .unwrap_or(1000)
        .clamp(10, 60_000);
    let count = req.query_as::<u64>("count");
    Response::sse(move |tx| async move {
        let mut n = start;
        loop {
            // A deterministic "sensor": a slow sine wave.
            let value = 20.0 + 5.0 * ((n as f64) / 10.0).sin();
            let data = serde_json::json!({ "seq": n, "celsius": (value * 100.0).round() / 100.0 });
            let msg = SseMessage::data(data.to_string())
                .event("reading")
                .id(n.to_string());
            if tx.send(msg).await.is_err() {
                return;
            }
            n += 1;
            if count.is_some_and(|c| n >= start + c) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(every)).await;
        }
    })
}

async fn chat(req: Request, s: Arc<Demo>) -> Response {
    if !req.head.is_websocket() {
        return Response::status(426).header("upgrade", "websocket");
    }
    Response::websocket(&[], move |mut ws| async move {
        let me = ws.join(&s.hub).await;
        s.hub.broadcast(&format!("* client {me} joined"));
        while let Some(m) = ws.recv().await {
            if let WsMessage::Text(t) = m {
                s.hub.broadcast(&format!("{me}: {t}"));
            }
        }
        s.hub.remove(me);
        s.hub.broadcast(&format!("* client {me} left"));
    })
}

async fn debug_stats(_req: Request, s: Arc<Demo>) -> Response {
    Response::json(s.stats.to_json())
}

/// The demo application: every route above, with `stats` (the same handle given to
/// [`viper_tokio::serve`] or [`viper_tokio::run`]) exposed at `/debug/stats`.
pub fn app(stats: SharedStats) -> App<Demo> {
    App::new(Demo {
        hub: Hub::new(64),
        stats,
    })
    .get("/", index)
    .get("/hello", hello)
    .get("/api/items/{id:int}", item)
    .get("/api/sum/{a:float}/{b:float}", sum)
    .post("/api/echo", echo)
    .get("/events", events)
    .get("/ws/chat", chat)
    .get("/debug/stats", debug_stats)
}
