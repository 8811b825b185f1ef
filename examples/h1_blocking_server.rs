//! The smallest honest use of `viper-h1`: a blocking `std::net` server, one thread per
//! connection. The sans-IO `Connection` does all of HTTP/1.1 (keep-alive, pipelining,
//! chunked framing, limits, timers); this file only moves bytes and reads the clock.
//!
//!     cargo run --release --example h1_blocking_server      # PORT=9000 to change port
//!     curl http://127.0.0.1:8080/hello
//!     curl -H 'Transfer-Encoding: chunked' --data-binary @Cargo.toml http://127.0.0.1:8080/echo
//!
//! GET answers `hello <path>`; a request with a body gets it echoed back, chunked.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant as StdInstant};

use viper_h1::{Config, Connection, Event, Instant};

fn serve(mut sock: TcpStream) -> std::io::Result<()> {
    let epoch = StdInstant::now();
    let now = || Instant::from_nanos(epoch.elapsed().as_nanos() as u64);
    let mut conn = Connection::server(Config::default(), now());
    let mut buf = [0u8; 8192];
    loop {
        // Sleep in read() no longer than the connection's next deadline.
        let wait = conn
            .poll_timeout()
            .map(|t| t - now())
            .unwrap_or(Duration::from_secs(60));
        sock.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        let n = match sock.read(&mut buf) {
            Ok(0) => {
                conn.receive_eof();
                0
            }
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => 0,
            Err(e) => return Err(e),
        };
        conn.handle_timeout(now());
        let mut input = &buf[..n];
        loop {
            let used = conn.receive(input); // may take less while pipelined requests wait
            input = &input[used..];
            while let Some(event) = conn.poll_event() {
                match event {
                    Event::Request(req) if req.body == viper_h1::BodyKind::Empty => {
                        let body = format!("hello {}\n", String::from_utf8_lossy(&req.target));
                        let len = body.len().to_string();
                        conn.send_response(200, &[("content-length", len.as_str())])
                            .unwrap();
                        conn.send_data(body).unwrap();
                    }
                    // No Content-Length given: viper-h1 frames the echo as chunked.
                    Event::Request(_) => conn
                        .send_response(200, &[("content-type", "text/plain")])
                        .unwrap(),
                    Event::Data(chunk) => conn.send_data(chunk).unwrap(),
                    Event::End { .. } => conn.finish().unwrap(),
                    Event::Error(e) => match e.status {
                        Some(status) => {
                            conn.send_response(status, &[("content-length", "0")])
                                .unwrap();
                            conn.finish().unwrap();
                        }
                        None => conn.close(),
                    },
                    // This demo speaks only HTTP/1.1: refuse upgrades and HTTP/2.
                    Event::Upgrade { .. } => {
                        conn.send_response(501, &[("content-length", "0")]).unwrap();
                        conn.finish().unwrap();
                    }
                    Event::Http2Preface { .. } | Event::Closed => conn.close(),
                    Event::Response(_) | Event::Continue | Event::Informational(_) => {}
                }
            }
            while let Some(bytes) = conn.take_transmit() {
                sock.write_all(&bytes)?;
            }
            if input.is_empty() || used == 0 {
                break;
            }
        }
        if conn.is_closed() || conn.is_switched() {
            return Ok(());
        }
    }
}

fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}"))?;
    println!(
        "viper-h1 blocking server listening on http://{}/",
        listener.local_addr()?
    );
    for sock in listener.incoming() {
        let sock = sock?;
        std::thread::spawn(move || {
            if let Err(e) = serve(sock) {
                eprintln!("connection error: {e}");
            }
        });
    }
    Ok(())
}
