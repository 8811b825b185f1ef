//! The viper-esp-idf test application as a program, for tests that run the server inside a
//! network namespace (`tests/degraded.rs`).
//!
//! ```text
//! esp_idf_server --addr 10.77.0.2:8080 [--max-clients 8] [--max-output BYTES]
//! ```

#[path = "common/app.rs"]
mod app;

use viper_esp_idf::{Config, Server};

fn main() {
    let mut addr = "127.0.0.1:8080".to_string();
    let mut config = Config::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let v = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--addr" => addr = v,
            "--max-clients" => config.max_clients = v.parse().expect("--max-clients N"),
            "--max-output" => {
                config.connection.max_output_buffer = v.parse().expect("--max-output BYTES")
            }
            other => panic!("unknown argument {other}"),
        }
    }
    let server = Server::bind(&addr, config).expect("bind");
    println!("viper-esp-idf: serving on {}", server.handle().local_addr());
    server.run(app::App::default).expect("run");
}
