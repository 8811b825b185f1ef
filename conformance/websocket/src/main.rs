//! WebSocket echo server for conformance suites: every text and binary message comes
//! back as it arrived; permessage-deflate is accepted (context takeover and window bits
//! as the client offers); any other request gets `200 ok`. One thread per connection,
//! std sockets, the sans-IO loop of ARCHITECTURE.md.
//!
//! ```text
//! cargo run --release -p viper-conformance-websocket -- [--port 9001] [--no-deflate]
//!     [--max-message-size BYTES] [--connections N]
//! ```
//!
//! It serves at most `--connections` connections (default 100 000) and then exits.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use viper_server::{Body, Config, Connection, Error, Event, Instant, Upgrade};

fn main() {
    let mut port = 9001u16;
    let mut deflate = true;
    let mut max_message = 16usize << 20;
    let mut connections = 100_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or_else(|| usage(&format!("{name} needs a number")))
        };
        match a.as_str() {
            "--port" => port = u16::try_from(value("--port")).unwrap_or_else(|_| usage("port")),
            "--no-deflate" => deflate = false,
            "--max-message-size" => max_message = value("--max-message-size"),
            "--connections" => connections = value("--connections"),
            _ => usage(&format!("unknown argument {a}")),
        }
    }
    let mut config = Config::default();
    config.ws.max_message_size = max_message;
    config.ws.max_frame_size = max_message;
    if !deflate {
        config.ws_deflate = None;
    }
    let listener = TcpListener::bind(("0.0.0.0", port)).unwrap_or_else(|e| {
        eprintln!("bind port {port}: {e}");
        std::process::exit(1)
    });
    println!(
        "viper WebSocket echo server on ws://0.0.0.0:{port}/ (permessage-deflate {})",
        if deflate { "on" } else { "off" }
    );
    let mut workers = Vec::new();
    for _ in 0..connections {
        let Ok((sock, _)) = listener.accept() else {
            continue;
        };
        let config = config.clone();
        workers.push(std::thread::spawn(move || serve(sock, config)));
        workers.retain(|w| !w.is_finished());
    }
    for w in workers {
        let _ = w.join();
    }
}

fn usage(msg: &str) -> ! {
    eprintln!("{msg}\nusage: viper-conformance-websocket [--port N] [--no-deflate] [--max-message-size BYTES] [--connections N]");
    std::process::exit(2)
}

/// Serves one connection for at most ten minutes.
fn serve(mut sock: TcpStream, config: Config) {
    let start = StdInstant::now();
    let now = || Instant::from_nanos(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX));
    if sock
        .set_read_timeout(Some(StdDuration::from_millis(5)))
        .is_err()
    {
        return;
    }
    let _ = sock.set_nodelay(true);
    let mut c = Connection::new(config, now());
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let mut eof = false;
    while start.elapsed() < StdDuration::from_secs(600) {
        c.handle_timeout(now());
        if !eof && pending.len() < 1 << 20 {
            match sock.read(&mut buf) {
                Ok(0) => {
                    eof = true;
                    c.receive_eof();
                }
                Ok(n) => pending.extend_from_slice(buf.get(..n).unwrap_or(&[])),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => return,
            }
        }
        loop {
            let used = c.receive(&pending);
            pending.drain(..used);
            let mut any = used > 0;
            while let Some(ev) = c.poll_event() {
                any = true;
                match ev {
                    Event::Request(r) if r.upgrade == Some(Upgrade::WebSocket) => {
                        let _ = c.accept_websocket(r.id, &[]);
                    }
                    Event::Request(r) => {
                        let _ = c.send_response(
                            r.id,
                            200,
                            &[("content-type", "text/plain")],
                            Body::Full(b"ok"),
                        );
                    }
                    Event::WsMessage { id, message } => {
                        // Echo; when the output buffer is full, write until there is room.
                        for _ in 0..100_000 {
                            match c.ws_send(id, &message) {
                                Err(Error::WouldBlock) => {
                                    if !flush(&mut c, &mut sock) {
                                        return;
                                    }
                                }
                                _ => break,
                            }
                        }
                    }
                    _ => {}
                }
            }
            if !flush(&mut c, &mut sock) {
                return;
            }
            if !any {
                break;
            }
        }
        if c.is_closed() && c.pending_output() == 0 {
            return;
        }
    }
}

/// Writes what the connection has; `false` when the socket failed.
fn flush(c: &mut Connection, sock: &mut TcpStream) -> bool {
    while let Some(b) = c.poll_transmit() {
        match sock.write(b) {
            Ok(0) => return false,
            Ok(n) => c.advance_transmit(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(StdDuration::from_millis(1))
            }
            Err(_) => return false,
        }
    }
    true
}
