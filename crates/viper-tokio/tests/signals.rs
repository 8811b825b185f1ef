//! `viper_tokio::run` as a real process (this test binary re-executed with
//! `VIPER_SIGNAL_ROLE=server`): SIGUSR1 prints the statistics as JSON, `/debug/stats`
//! serves the same JSON, and SIGTERM or SIGINT (Ctrl-C) shut down gracefully: HTTP/2
//! connections get GOAWAY, idle HTTP/1.1 keep-alive connections are closed, and the
//! process exits 0. Bounded: every wait has a deadline and the child is killed if the
//! test fails.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use viper_tokio::{App, Request, Response, ServerConfig, SharedStats};

const ROLE: &str = "VIPER_SIGNAL_ROLE";

async fn hello(_r: Request, _s: Arc<SharedStats>) -> Response {
    Response::text("Hello, world!")
}

async fn debug_stats(_r: Request, s: Arc<SharedStats>) -> Response {
    Response::json(s.to_json())
}

fn server_role() {
    let stats = SharedStats::new();
    let app = App::new(stats.clone())
        .get("/hello", hello)
        .get("/debug/stats", debug_stats);
    let cfg = ServerConfig {
        workers: 2,
        ..ServerConfig::default()
    };
    viper_tokio::run(app, "127.0.0.1:0", cfg, stats).unwrap();
}

struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Lines of a child's stream, forwarded to a channel by a thread (to the stream's end).
fn lines_of(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            let _ = tx.send(line);
        }
    });
    rx
}

fn line_containing(rx: &mpsc::Receiver<String>, needle: &str) -> String {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if l.contains(needle) => return l,
            Ok(_) => {}
            Err(e) => panic!("no line with {needle:?}: {e}"),
        }
    }
}

fn start(test: &str) -> Server {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(ROLE, "server")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = lines_of(child.stdout.take().unwrap());
    let stderr = lines_of(child.stderr.take().unwrap());
    let mut server = Server {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        stderr,
    };
    let line = line_containing(&stdout, "viper listening on http://");
    let addr = line.rsplit("http://").next().unwrap().trim();
    server.addr = addr.parse().unwrap();
    // Keep draining stdout so the child never blocks on (or breaks) the pipe.
    std::thread::spawn(move || while stdout.recv().is_ok() {});
    server
}

fn signal(s: &Server, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(s.child.id()).unwrap();
    // SAFETY: sending a signal to our own child process; no memory is involved.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

fn get(stream: &mut TcpStream, path: &str) -> String {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "connection closed mid-response");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .expect("content-length");
            if body.len() >= len {
                assert!(head.starts_with("HTTP/1.1 200"), "{head}");
                return body.to_string();
            }
        }
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s
}

/// An HTTP/2 prior-knowledge connection that has exchanged SETTINGS.
fn h2_connect(addr: SocketAddr) -> TcpStream {
    let mut s = connect(addr);
    s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
    s.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).unwrap(); // empty SETTINGS
    let (ty, flags, _) = read_frame(&mut s).expect("server SETTINGS");
    assert_eq!((ty, flags & 1), (4, 0));
    s.write_all(&[0, 0, 0, 4, 1, 0, 0, 0, 0]).unwrap(); // SETTINGS ACK
    s
}

/// One frame: (type, flags, payload); `None` at EOF.
fn read_frame(s: &mut TcpStream) -> Option<(u8, u8, Vec<u8>)> {
    let mut h = [0u8; 9];
    s.read_exact(&mut h).ok()?;
    let len = (usize::from(h[0]) << 16) | (usize::from(h[1]) << 8) | usize::from(h[2]);
    let mut p = vec![0u8; len];
    s.read_exact(&mut p).ok()?;
    Some((h[3], h[4], p))
}

/// Reads until EOF answering PINGs; returns the GOAWAYs seen as
/// (last stream id, error code).
fn h2_until_closed(s: &mut TcpStream) -> Vec<(u32, u32)> {
    let mut goaways = Vec::new();
    while let Some((ty, flags, p)) = read_frame(s) {
        match ty {
            7 if p.len() >= 8 => goaways.push((
                u32::from_be_bytes([p[0], p[1], p[2], p[3]]) & 0x7fff_ffff,
                u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
            )),
            6 if flags & 1 == 0 && p.len() == 8 => {
                let mut ack = vec![0, 0, 8, 6, 1, 0, 0, 0, 0];
                ack.extend_from_slice(&p);
                if s.write_all(&ack).is_err() {
                    break;
                }
            }
            _ => {}
        }
    }
    goaways
}

fn exit_status(s: &mut Server) -> std::process::ExitStatus {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            return st;
        }
        assert!(Instant::now() < end, "server did not exit after the signal");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn stats_usr1_and_graceful_exit(test: &str, stop: libc::c_int) {
    let mut s = start(test);
    let mut h1 = connect(s.addr);
    assert_eq!(get(&mut h1, "/hello"), "Hello, world!");
    // /debug/stats: JSON with every counter.
    let v = json(&get(&mut h1, "/debug/stats"));
    assert_eq!(v["connections_active"], 1, "{v}");
    assert_eq!(v["connections_accepted"], 1, "{v}");
    assert!(v["requests_h1"].as_u64().unwrap() >= 1, "{v}");
    assert!(
        v["bytes_out"].is_u64() && v["closed_timeout"].is_u64(),
        "{v}"
    );
    // SIGUSR1: the same JSON on stderr.
    signal(&s, libc::SIGUSR1);
    let line = line_containing(&s.stderr, "viper stats: ");
    let v = json(line.split_once("viper stats: ").unwrap().1);
    assert_eq!(v["requests_h1"], 2, "{v}");
    assert_eq!(v["connections_active"], 1, "{v}");
    // An idle HTTP/2 connection and the idle HTTP/1.1 one, then the stop signal.
    let mut h2 = h2_connect(s.addr);
    signal(&s, stop);
    // RFC 9113 §6.8 graceful shutdown: GOAWAY NO_ERROR (possibly first with the
    // maximum stream id, then after a PING round trip with the last one processed).
    let goaways = h2_until_closed(&mut h2);
    assert!(!goaways.is_empty(), "no GOAWAY before the close");
    assert!(goaways.iter().all(|g| g.1 == 0), "{goaways:?}");
    assert_eq!(
        goaways.last().unwrap().0,
        0,
        "no stream was opened: {goaways:?}"
    );
    let mut rest = Vec::new();
    assert_eq!(h1.read_to_end(&mut rest).unwrap(), 0, "idle h1 closed");
    let st = exit_status(&mut s);
    assert!(st.success(), "exit status {st:?}");
    assert!(
        TcpStream::connect(s.addr).is_err(),
        "listener closed after shutdown"
    );
}

#[test]
fn sigusr1_stats_and_sigterm_graceful_shutdown() {
    if std::env::var(ROLE).as_deref() == Ok("server") {
        return server_role();
    }
    stats_usr1_and_graceful_exit("sigusr1_stats_and_sigterm_graceful_shutdown", libc::SIGTERM);
}

#[test]
fn sigint_ctrl_c_graceful_shutdown() {
    if std::env::var(ROLE).as_deref() == Ok("server") {
        return server_role();
    }
    stats_usr1_and_graceful_exit("sigint_ctrl_c_graceful_shutdown", libc::SIGINT);
}
