//! The JSON peer for `benches/e2e/pinned.sh`: the smart-home app's
//! `GET /api/sensors/{sensor_id}` route written with axum (typed path parameter, serde
//! JSON response, 404 with FastAPI's body for an unknown sensor), on a current-thread
//! runtime.
//!
//! `axum-sensors [ADDR]` (default `127.0.0.1:8083`).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

#[derive(Serialize)]
struct Sensor {
    id: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    value: f64,
    unit: &'static str,
}

const SENSORS: [(i64, &str, &str, f64); 3] = [
    (1, "temperature", "celsius", 21.5),
    (2, "humidity", "percent", 40.0),
    (3, "pressure", "hPa", 1013.25),
];

async fn read_sensor(Path(sensor_id): Path<i64>) -> Response {
    match SENSORS.iter().find(|s| s.0 == sensor_id) {
        Some(&(id, kind, unit, value)) => Json(Sensor {
            id,
            kind,
            value,
            unit,
        })
        .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "detail": format!("Sensor {sensor_id} not found") })),
        )
            .into_response(),
    }
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8083".to_string());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let app = Router::new().route("/api/sensors/{sensor_id}", get(read_sensor));
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("axum listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await
    })
}
