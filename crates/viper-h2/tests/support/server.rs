//! A small blocking test server driving viper-h2 over std TCP, one thread per
//! connection. Used by the interop tests, the h2spec runner and as an example.
//!
//! Routes: `/` (hello), `/echo` (echoes the request body, and the request trailers'
//! count in a response trailer), `/big/<n>` (n bytes), `/trailers` (body + trailers),
//! anything else 404. Accepts prior-knowledge HTTP/2 and HTTP/1.1 `Upgrade: h2c`.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant as StdInstant};

use base64::Engine as _;
use viper_core::Instant;
use viper_h2::frame::PREFACE;
use viper_h2::{Config, Connection, Event, H2cUpgrade};

/// Binds `addr` and serves forever on a background thread; returns the bound address.
pub fn spawn(addr: &str) -> SocketAddr {
    let l = TcpListener::bind(addr).expect("bind");
    let a = l.local_addr().unwrap();
    std::thread::spawn(move || accept_loop(l));
    a
}

pub fn accept_loop(l: TcpListener) {
    for s in l.incoming().flatten() {
        std::thread::spawn(move || {
            let _ = serve(s);
        });
    }
}

#[derive(Default)]
struct App {
    head: bool,
    path: String,
    body: Vec<u8>,
    out: Vec<u8>,
    off: usize,
    trailers_in: usize,
    send_trailers: bool,
    responding: bool,
}

fn now(start: StdInstant) -> Instant {
    Instant::from_nanos(start.elapsed().as_nanos() as u64)
}

pub fn serve(mut sock: TcpStream) -> std::io::Result<()> {
    let start = StdInstant::now();
    sock.set_nodelay(true)?;
    sock.set_read_timeout(Some(Duration::from_millis(20)))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    // Read until we know whether this is a preface or an HTTP/1.1 request.
    let deadline = StdInstant::now() + Duration::from_secs(10);
    let mut wait_for_client = false;
    let mut conn = loop {
        if StdInstant::now() > deadline {
            return Ok(());
        }
        match sock.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => pending.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
        let k = pending.len().min(PREFACE.len());
        if pending[..k] == PREFACE[..k] {
            if k == PREFACE.len() {
                break Connection::new(Config::default(), now(start));
            }
            continue;
        }
        let mut hdrs = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut hdrs);
        match req.parse(&pending) {
            Ok(httparse::Status::Complete(len)) => {
                let get = |n: &str| {
                    req.headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(n))
                        .map(|h| h.value)
                };
                let upgrade = get("upgrade").is_some_and(|v| v.eq_ignore_ascii_case(b"h2c"));
                let settings = get("http2-settings").and_then(|v| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(v.strip_suffix(b"=").unwrap_or(v))
                        .ok()
                });
                let (true, Some(settings)) = (upgrade, settings) else {
                    sock.write_all(b"HTTP/1.1 505 HTTP Version Not Supported\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")?;
                    return Ok(());
                };
                // RFC 7540 §3.2: a body comes in full, over HTTP/1.1, before the switch.
                // This server takes content-length bodies up to 16 MiB.
                let body_len = match get("content-length") {
                    None => 0,
                    Some(v) => match std::str::from_utf8(v).ok().and_then(|v| v.parse().ok()) {
                        Some(n) if n <= 16 << 20 => n,
                        _ => {
                            sock.write_all(b"HTTP/1.1 413 Content Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")?;
                            return Ok(());
                        }
                    },
                };
                if get("transfer-encoding").is_some() {
                    sock.write_all(b"HTTP/1.1 411 Length Required\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")?;
                    return Ok(());
                }
                if pending.len() < len + body_len {
                    continue;
                }
                let headers: Vec<(&[u8], &[u8])> = req
                    .headers
                    .iter()
                    .map(|h| (h.name.as_bytes(), h.value))
                    .collect();
                let up = H2cUpgrade {
                    settings: &settings,
                    method: req.method.unwrap_or("GET").as_bytes(),
                    target: req.path.unwrap_or("/").as_bytes(),
                    authority: b"",
                    headers: &headers,
                };
                let body = &pending[len..len + body_len];
                let Ok(c) =
                    Connection::from_h2c_upgrade_with_body(Config::default(), now(start), up, body)
                else {
                    sock.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")?;
                    return Ok(());
                };
                sock.write_all(
                    b"HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n",
                )?;
                pending.drain(..len + body_len);
                // curl 7.88 cannot take much data glued to the 101 response: wait for
                // the client preface before writing HTTP/2 frames.
                wait_for_client = true;
                break c;
            }
            Ok(httparse::Status::Partial) if pending.len() < 16 * 1024 => continue,
            _ => return Ok(()),
        }
    };
    let mut apps: HashMap<u32, App> = HashMap::new();
    let mut idle_since = StdInstant::now();
    loop {
        // Input (with what `receive` left over last time).
        if !pending.is_empty() {
            let n = conn.receive(&pending);
            pending.drain(..n);
        }
        // Events.
        while let Some(ev) = conn.poll_event() {
            handle(&mut conn, &mut apps, ev);
        }
        // Application output, as the send buffers allow.
        for (id, a) in apps.iter_mut() {
            if a.responding && a.off <= a.out.len() {
                let rest = &a.out[a.off..];
                let end = !a.send_trailers;
                match conn.send_data(*id, rest, end) {
                    Ok(n) => {
                        a.off += n;
                        if a.off == a.out.len() {
                            if a.send_trailers {
                                let t = a.body.len().to_string();
                                let _ = conn.send_trailers(
                                    *id,
                                    &[
                                        (b"x-body-len", t.as_bytes()),
                                        (b"x-trailers-in", a.trailers_in.to_string().as_bytes()),
                                    ],
                                );
                            }
                            a.off = usize::MAX; // done
                        }
                    }
                    Err(_) => a.off = usize::MAX,
                }
            }
        }
        apps.retain(|_, a| a.off != usize::MAX);
        // Output.
        while let Some(b) = if wait_for_client {
            None
        } else {
            conn.poll_transmit()
        } {
            sock.write_all(b)?;
            let n = b.len();
            conn.advance_transmit(n);
            idle_since = StdInstant::now();
        }
        if conn.is_closed() {
            linger_close(&mut sock, &mut buf);
            return Ok(());
        }
        if idle_since.elapsed() > Duration::from_secs(30) {
            return Ok(());
        }
        conn.handle_timeout(now(start));
        if !pending.is_empty() && !conn.wants_read_pause() {
            continue;
        }
        match sock.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                pending.extend_from_slice(&buf[..n]);
                wait_for_client = false;
                idle_since = StdInstant::now();
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Closes after a GOAWAY without losing it: half-close our side, then read and drop
/// whatever the peer still sends for a moment, so unread input does not make the
/// kernel answer with a reset that could discard the GOAWAY before the peer reads it.
fn linger_close(sock: &mut TcpStream, buf: &mut [u8]) {
    let _ = sock.flush();
    let _ = sock.shutdown(std::net::Shutdown::Write);
    let until = StdInstant::now() + Duration::from_secs(1);
    while StdInstant::now() < until {
        match sock.read(buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

fn handle(conn: &mut Connection, apps: &mut HashMap<u32, App>, ev: Event) {
    match ev {
        Event::Request {
            stream_id, head, ..
        } => {
            let path = String::from_utf8_lossy(head.path().unwrap_or(b"/")).into_owned();
            apps.insert(
                stream_id,
                App {
                    head: head.method() == b"HEAD",
                    path,
                    ..App::default()
                },
            );
        }
        Event::Data {
            stream_id, data, ..
        } => {
            if let Some(a) = apps.get_mut(&stream_id) {
                if a.path.starts_with("/echo") && a.body.len() < 64 << 20 {
                    a.body.extend_from_slice(&data);
                } else {
                    a.body
                        .resize(a.body.len().saturating_add(data.len()).min(64 << 20), 0);
                }
            }
        }
        Event::Trailers {
            stream_id,
            trailers,
        } => {
            if let Some(a) = apps.get_mut(&stream_id) {
                a.trailers_in = trailers.len();
            }
        }
        Event::StreamEnded { stream_id } => {
            let Some(a) = apps.get_mut(&stream_id) else {
                return;
            };
            let (status, body, trailers): (u16, Vec<u8>, bool) = if a.path == "/" {
                (200, b"hello h2\n".to_vec(), false)
            } else if a.path.starts_with("/echo") {
                (200, std::mem::take(&mut a.body), true)
            } else if let Some(n) = a.path.strip_prefix("/big/") {
                let n: usize = n.parse().unwrap_or(0).min(256 << 20);
                (200, (0..n).map(|i| (i % 251) as u8).collect(), false)
            } else if a.path == "/trailers" {
                (200, b"with trailers\n".to_vec(), true)
            } else {
                (404, b"not found\n".to_vec(), false)
            };
            let len = body.len().to_string();
            let hdrs: [(&[u8], &[u8]); 2] = [
                (b"content-type", b"application/octet-stream"),
                (b"content-length", len.as_bytes()),
            ];
            if a.head {
                // HEAD: the head of the GET response, no body.
                let _ = conn.send_response(stream_id, status, &hdrs, true);
                a.off = usize::MAX;
                return;
            }
            if trailers {
                a.body = body.clone();
            }
            let ok = conn.send_response(stream_id, status, &hdrs, false).is_ok();
            a.out = body;
            a.off = if ok { 0 } else { usize::MAX };
            a.send_trailers = trailers;
            a.responding = ok;
        }
        Event::StreamReset { stream_id, .. } => {
            apps.remove(&stream_id);
        }
        _ => {}
    }
}
