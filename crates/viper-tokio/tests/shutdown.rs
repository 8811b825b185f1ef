//! Graceful shutdown end to end, triggered the way the other in-process tests stop a
//! server (the `shutdown` future given to `viper_tokio::serve`): an HTTP/1.1 response
//! and an HTTP/2 stream in flight both complete with their full bodies, the HTTP/2
//! client sees GOAWAY, the idle connections are closed, new connections are refused,
//! and a handler that outlives `shutdown_deadline` is cut off there: its connection
//! closed and the handler aborted before `serve` returns.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestServer;
use tokio::sync::Notify;
use viper_tokio::{App, Request, Response, ServerConfig};

/// Bytes in each `/slow` response: more than one HTTP/2 DATA frame (16 KiB) and more
/// than the default 64 KiB stream window, so the body really streams.
const BODY_LEN: usize = 200_000;

fn body() -> Vec<u8> {
    (0..BODY_LEN).map(|i| b'a' + (i % 26) as u8).collect()
}

#[derive(Default)]
struct Probe {
    /// Handlers that have started.
    started: AtomicUsize,
    /// Handlers that have produced their response.
    finished: AtomicUsize,
    /// `/stuck` handlers dropped before they finished (cut off).
    aborted: AtomicUsize,
    /// Set (and notified) by the test once it has triggered the shutdown.
    triggered: AtomicBool,
    go: Notify,
}

impl Probe {
    /// Waits (bounded) until the test says the shutdown was triggered.
    async fn wait_for_trigger(&self) {
        let end = tokio::time::Instant::now() + Duration::from_secs(10);
        while !self.triggered.load(Ordering::SeqCst) && tokio::time::Instant::now() < end {
            let _ = tokio::time::timeout(Duration::from_millis(50), self.go.notified()).await;
        }
    }
}

/// Starts, waits until the shutdown has been triggered, then sleeps ~300 ms and
/// answers with [`body`]: the response is in flight when the shutdown begins.
async fn slow(_r: Request, p: Arc<Probe>) -> Response {
    p.started.fetch_add(1, Ordering::SeqCst);
    p.wait_for_trigger().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.finished.fetch_add(1, Ordering::SeqCst);
    Response::new(200, body()).header("content-type", "application/octet-stream")
}

/// Outlives any shutdown deadline used here (and the 15 s the harness waits).
async fn stuck(_r: Request, p: Arc<Probe>) -> Response {
    /// Counts the handler as aborted if it is dropped before it finished.
    struct Cut(Arc<Probe>, bool);
    impl Drop for Cut {
        fn drop(&mut self) {
            if !self.1 {
                self.0.aborted.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    p.started.fetch_add(1, Ordering::SeqCst);
    let mut cut = Cut(p.clone(), false);
    tokio::time::sleep(Duration::from_secs(60)).await;
    cut.1 = true;
    p.finished.fetch_add(1, Ordering::SeqCst);
    Response::text("too late")
}

fn wait_until(what: &str, f: impl Fn() -> bool) {
    let end = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// Reads one HTTP/1.1 response with a `content-length` body, then everything up to
/// EOF. Returns (status line, body, bytes after the body, whether EOF came).
fn h1_response_then_eof(s: &mut TcpStream) -> (String, Vec<u8>, usize, bool) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let mut eof = false;
    loop {
        match s.read(&mut chunk) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                eof = true;
                break;
            }
            Err(_) => break, // read timeout: no EOF
        }
    }
    let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (
            String::from_utf8_lossy(&buf).into_owned(),
            Vec::new(),
            0,
            eof,
        );
    };
    let head = String::from_utf8_lossy(&buf[..at]).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0);
    let rest = &buf[at + 4..];
    let body = rest[..len.min(rest.len())].to_vec();
    let status = head.lines().next().unwrap_or_default().to_string();
    (status, body, rest.len().saturating_sub(len), eof)
}

fn frame(ty: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut f = vec![len[1], len[2], len[3], ty, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// One frame: (type, flags, stream id, payload); `None` at EOF or error.
fn read_frame(s: &mut TcpStream) -> Option<(u8, u8, u32, Vec<u8>)> {
    let mut h = [0u8; 9];
    s.read_exact(&mut h).ok()?;
    let len = (usize::from(h[0]) << 16) | (usize::from(h[1]) << 8) | usize::from(h[2]);
    let mut p = vec![0u8; len];
    s.read_exact(&mut p).ok()?;
    let id = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
    Some((h[3], h[4], id, p))
}

/// HTTP/2 prior knowledge: preface, SETTINGS with a 1 MiB stream window, 1 MiB more
/// connection window, and `GET path` on stream 1 (HPACK: `:method GET` and
/// `:scheme http` indexed, `:path` and `:authority` literal with indexed names).
fn h2_get(addr: SocketAddr, path: &str) -> TcpStream {
    let mut s = connect(addr);
    let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    out.extend(frame(4, 0, 0, &[0, 4, 0, 0x10, 0, 0])); // INITIAL_WINDOW_SIZE 1 MiB
    out.extend(frame(8, 0, 0, &(1u32 << 20).to_be_bytes())); // WINDOW_UPDATE
    let mut block = vec![0x82, 0x86, 0x04, u8::try_from(path.len()).unwrap()];
    block.extend_from_slice(path.as_bytes());
    block.extend_from_slice(&[0x01, 0x01, b'x']);
    out.extend(frame(1, 0x5, 1, &block)); // HEADERS, END_STREAM | END_HEADERS
    s.write_all(&out).unwrap();
    s
}

#[derive(Debug, Default)]
struct H2Seen {
    /// `:status` byte of stream 1's HEADERS (HPACK static index 8 = 200).
    headers: Vec<u8>,
    data: Vec<u8>,
    data_ended: bool,
    /// (last stream id, error code) per GOAWAY.
    goaways: Vec<(u32, u32)>,
    eof: bool,
}

/// Reads until EOF (acknowledging SETTINGS and PINGs), collecting stream 1.
fn h2_until_closed(s: &mut TcpStream) -> H2Seen {
    let mut seen = H2Seen::default();
    loop {
        let Some((ty, flags, id, p)) = read_frame(s) else {
            seen.eof = true;
            return seen;
        };
        let reply = match (ty, id) {
            (0, 1) => {
                seen.data.extend_from_slice(&p);
                seen.data_ended |= flags & 1 != 0;
                None
            }
            (1, 1) => {
                seen.headers.extend_from_slice(&p);
                None
            }
            (7, _) if p.len() >= 8 => {
                seen.goaways.push((
                    u32::from_be_bytes([p[0], p[1], p[2], p[3]]) & 0x7fff_ffff,
                    u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
                ));
                None
            }
            (4, 0) if flags & 1 == 0 => Some(frame(4, 1, 0, &[])),
            (6, 0) if flags & 1 == 0 => Some(frame(6, 1, 0, &p)),
            _ => None,
        };
        if let Some(r) = reply {
            if s.write_all(&r).is_err() {
                // The server may already have closed; keep reading what it sent.
            }
        }
    }
}

fn refused(addr: SocketAddr) -> bool {
    match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
        Err(e) => e.kind() == ErrorKind::ConnectionRefused,
        Ok(_) => false,
    }
}

#[test]
fn in_flight_h1_and_h2_responses_complete_then_goaway_close_and_refuse() {
    let probe = Arc::new(Probe::default());
    let p = probe.clone();
    let app = App::new(()).get("/slow", move |r: Request, _s: Arc<()>| slow(r, p.clone()));
    let mut s = TestServer::start(app, ServerConfig::default());
    let addr = s.addr;

    let mut h1 = connect(addr);
    h1.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut h2 = h2_get(addr, "/slow");
    // An idle HTTP/1.1 keep-alive connection, served once before the shutdown.
    let mut idle = connect(addr);
    idle.write_all(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 404");

    let h1_reader = std::thread::spawn(move || h1_response_then_eof(&mut h1));
    let h2_reader = std::thread::spawn(move || h2_until_closed(&mut h2));
    wait_until("both /slow handlers to start", || {
        probe.started.load(Ordering::SeqCst) == 2
    });
    assert_eq!(probe.finished.load(Ordering::SeqCst), 0);

    s.begin_shutdown();
    probe.triggered.store(true, Ordering::SeqCst);
    probe.go.notify_waiters();
    s.shutdown(); // waits (bounded) until serve returned

    let (status, body1, extra, eof1) = h1_reader.join().unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body1.len(), BODY_LEN, "h1 body cut short");
    assert!(body1 == body(), "h1 body differs");
    assert_eq!(extra, 0, "bytes after the h1 response");
    assert!(
        eof1,
        "h1 connection not closed after its in-flight response"
    );

    let seen = h2_reader.join().unwrap();
    assert_eq!(
        seen.headers.first(),
        Some(&0x88),
        "h2 :status not 200: {seen:?}"
    );
    assert!(seen.data_ended, "h2 stream 1 did not end");
    assert_eq!(seen.data.len(), BODY_LEN, "h2 body cut short");
    assert!(seen.data == body(), "h2 body differs");
    assert!(!seen.goaways.is_empty(), "no GOAWAY");
    assert!(
        seen.goaways.iter().all(|g| g.1 == 0),
        "GOAWAY with an error: {:?}",
        seen.goaways
    );
    assert!(
        seen.goaways.last().unwrap().0 >= 1,
        "final GOAWAY disowns stream 1: {:?}",
        seen.goaways
    );
    assert!(seen.eof);

    // The idle keep-alive connection: the rest of its 404, then closed.
    let mut rest = Vec::new();
    let r = idle.read_to_end(&mut rest);
    assert!(
        r.is_ok()
            || r.as_ref()
                .is_err_and(|e| e.kind() == ErrorKind::ConnectionReset),
        "idle connection not closed: {r:?}"
    );

    assert_eq!(probe.finished.load(Ordering::SeqCst), 2);
    assert!(
        refused(addr),
        "a new connection was accepted after shutdown"
    );
    assert_eq!(s.stats.active(), 0, "{}", s.stats.to_json());
}

#[test]
fn handler_outliving_the_shutdown_deadline_does_not_hold_serve() {
    let probe = Arc::new(Probe::default());
    let p = probe.clone();
    let app = App::new(()).get("/stuck", move |r: Request, _s: Arc<()>| stuck(r, p.clone()));
    let config = ServerConfig {
        shutdown_deadline: Duration::from_millis(500),
        ..ServerConfig::default()
    };
    let mut s = TestServer::start(app, config);
    let addr = s.addr;
    let mut h1 = connect(addr);
    h1.write_all(b"GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut h2 = h2_get(addr, "/stuck");
    wait_until("both /stuck handlers to start", || {
        probe.started.load(Ordering::SeqCst) == 2
    });

    // serve returns within the harness's 15 s bound although both handlers sleep
    // 60 s: at the deadline it cut off both connections and aborted their handlers,
    // while the runtime (held by the harness until `drop(s)`) is still running.
    s.shutdown();
    assert_eq!(probe.finished.load(Ordering::SeqCst), 0);
    assert!(
        refused(addr),
        "a new connection was accepted after shutdown"
    );
    let (status, body1, _, eof1) = h1_response_then_eof(&mut h1);
    assert!(eof1, "h1 connection left open after the deadline");
    assert!(
        status.is_empty() && body1.is_empty(),
        "h1 got a response: {status}"
    );
    let seen = h2_until_closed(&mut h2);
    assert!(seen.eof, "h2 connection left open after the deadline");
    assert!(seen.headers.is_empty() && seen.data.is_empty(), "{seen:?}");
    assert!(!seen.goaways.is_empty(), "no GOAWAY: {seen:?}");
    wait_until("both /stuck handlers to be aborted", || {
        probe.aborted.load(Ordering::SeqCst) == 2
    });
    assert_eq!(s.stats.active(), 0);
    drop(s);
    assert_eq!(probe.finished.load(Ordering::SeqCst), 0);
}
