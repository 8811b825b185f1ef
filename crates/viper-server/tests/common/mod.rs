//! A minimal blocking adapter for interop tests: one thread, one connection at a
//! time, std sockets, the sans-IO loop of ARCHITECTURE.md. The application is an echo:
//! WebSocket messages come back as they arrived, any other request gets
//! `200 text/plain "ok"`.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use viper_server::{Body, Config, Connection, Event, Instant, Upgrade};

/// Serves `connections` connections on a fresh local port, each for at most `limit`.
/// Returns the port and the thread (joined by the caller).
pub(crate) fn echo_server(
    config: Config,
    connections: usize,
    limit: StdDuration,
) -> (u16, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        let mut log = Vec::new();
        for _ in 0..connections {
            let (sock, _) = listener.accept().unwrap();
            log.push(serve(sock, config.clone(), limit));
        }
        log
    });
    (port, t)
}

fn serve(mut sock: TcpStream, config: Config, limit: StdDuration) -> String {
    let start = StdInstant::now();
    let now = || Instant::from_nanos(start.elapsed().as_nanos() as u64);
    sock.set_read_timeout(Some(StdDuration::from_millis(5)))
        .unwrap();
    sock.set_nodelay(true).unwrap();
    let mut c = Connection::new(config, now());
    c.set_date(viper_server::HttpDate::from_unix_secs(1_800_000_000));
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let mut eof = false;
    let mut summary = String::new();
    while start.elapsed() < limit {
        c.handle_timeout(now());
        if !eof && pending.len() < 1 << 20 {
            match sock.read(&mut buf) {
                Ok(0) => {
                    eof = true;
                    c.receive_eof();
                }
                Ok(n) => pending.extend_from_slice(&buf[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => break,
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
                        if let Err(e) = c.accept_websocket(r.id, &[]) {
                            summary.push_str(&format!("handshake refused: {e}\n"));
                        }
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
                        // The client reads what it sent: back-pressure by waiting.
                        let mut tries = 0;
                        while let Err(viper_server::Error::WouldBlock) = c.ws_send(id, &message) {
                            flush(&mut c, &mut sock);
                            tries += 1;
                            if tries > 10_000 {
                                break;
                            }
                        }
                    }
                    Event::WsClosed { code, .. } => {
                        summary.push_str(&format!("ws closed {code}\n"))
                    }
                    Event::Closed { reason } => summary.push_str(&format!("closed {reason:?}\n")),
                    _ => {}
                }
            }
            if !flush(&mut c, &mut sock) {
                return summary;
            }
            if !any {
                break;
            }
        }
        if c.is_closed() && c.pending_output() == 0 {
            break;
        }
    }
    summary
}

/// Writes what the connection has; `false` when the socket failed.
fn flush(c: &mut Connection, sock: &mut TcpStream) -> bool {
    while let Some(b) = c.poll_transmit() {
        match sock.write(b) {
            Ok(0) => return false,
            Ok(n) => c.advance_transmit(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(StdDuration::from_millis(1));
            }
            Err(_) => return false,
        }
    }
    true
}
