//! Arbitrary bytes as HTTP/1.1 (or HTTP/2) input to a `viper::Connection` serving routes
//! with every kind of extraction: path parsing, query strings into a validated struct
//! (defaults, Option, repeated names, an enum), JSON bodies into a struct, headers.
//! Whatever arrives, the connection must not panic and must only ever answer HTTP.
#![no_main]

use std::rc::Rc;
use std::task::{Context, Waker};

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use viper::{App, Header, HttpException, Json, Path, Query};

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Light,
    Plug,
}

#[derive(Deserialize)]
struct Search {
    q: Option<String>,
    #[serde(default)]
    limit: i64,
    #[serde(default)]
    tag: Vec<String>,
    kind: Option<Kind>,
}

#[derive(Deserialize)]
struct Device {
    name: String,
    kind: Kind,
    #[allow(dead_code)]
    power: Option<f64>,
}

async fn item(Path(id): Path<i64>) -> Result<Json<serde_json::Value>, HttpException> {
    if id < 0 {
        return Err(HttpException::new(404, "negative"));
    }
    Ok(Json(serde_json::json!({ "id": id })))
}

async fn search(Query(s): Query<Search>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "q": s.q, "limit": s.limit, "tags": s.tag.len(), "light": matches!(s.kind, Some(Kind::Light)),
    }))
}

async fn create(Json(d): Json<Device>, Header(ua): Header<Option<String>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "name": d.name, "plug": matches!(d.kind, Kind::Plug), "ua": ua }))
}

fn app() -> Rc<App<()>> {
    App::new(())
        .get("/items/{id}", item)
        .get("/search", search)
        .post("/devices", create)
        .build()
        .expect("valid routes")
}

fuzz_target!(|data: &[u8]| {
    let mut conn = viper::Connection::new(app(), viper::Config::default(), viper::Instant::from_millis(0));
    let mut cx = Context::from_waker(Waker::noop());
    // Feed in two pieces at a split point taken from the input, so partial reads are covered.
    let split = data.first().map_or(0, |&b| (b as usize).min(data.len()));
    let mut out = Vec::new();
    for piece in [&data[..split], &data[split..]] {
        let mut off = 0;
        for _ in 0..64 {
            if off < piece.len() {
                off += conn.receive(&piece[off..]);
            }
            let _ = conn.poll_app(&mut cx);
            while let Some(b) = conn.poll_transmit() {
                let n = b.len();
                out.extend_from_slice(b);
                conn.advance_transmit(n);
            }
            if off == piece.len() {
                break;
            }
        }
    }
    conn.receive_eof();
    let _ = conn.poll_app(&mut cx);
    while let Some(b) = conn.poll_transmit() {
        let n = b.len();
        out.extend_from_slice(b);
        conn.advance_transmit(n);
    }
    // Only HTTP comes out: an HTTP/1.1 status line or an HTTP/2 frame stream (SETTINGS first).
    if !out.is_empty() {
        assert!(out.starts_with(b"HTTP/1.1 ") || out[3] == 4, "{:?}", String::from_utf8_lossy(&out[..out.len().min(64)]));
    }
});
