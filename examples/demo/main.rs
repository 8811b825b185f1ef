//! The Viper demo server: a JSON API with typed path and query parameters, an SSE
//! stream of readings, a WebSocket chat broadcast to every client, a page using all
//! three, and `/debug/stats` (the application is [`viper_examples::demo::app`]).
//!
//! `cargo run --release --example demo` (address from `VIPER_ADDR`, default
//! `127.0.0.1:8080`).

use viper_tokio::{ServerConfig, SharedStats};

fn main() -> std::io::Result<()> {
    let stats = SharedStats::new();
    let app = viper_examples::demo::app(stats.clone());
    let addr = std::env::var("VIPER_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    viper_tokio::run(app, &addr, ServerConfig::default(), stats)
}
