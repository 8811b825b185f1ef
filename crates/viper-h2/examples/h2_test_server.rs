//! The interop/h2spec test server: `cargo run -p viper-h2 --example h2_test_server -- 127.0.0.1:8080`.

#[path = "../tests/support/server.rs"]
mod server;

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let l = std::net::TcpListener::bind(&addr).expect("bind");
    eprintln!("viper-h2 test server on {}", l.local_addr().unwrap());
    server::accept_loop(l);
}
