//! Real clients (curl, Python's http.client) against a std::net server driven by
//! viper-h1, over loopback only, with a timeout on every socket and process.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant as StdInstant};

use viper_h1::{Config, Connection, Event, Instant};

/// Answers GET with `hello <target>` (Content-Length) and echoes any request body
/// back with chunked framing.
fn serve(mut sock: TcpStream) {
    let start = StdInstant::now();
    let now = || Instant::from_nanos(start.elapsed().as_nanos() as u64);
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut conn = Connection::server(Config::default(), now());
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match sock.read(&mut buf) {
            Ok(n) => n,
            Err(_) => return,
        };
        conn.handle_timeout(now());
        let mut pending = &buf[..n];
        if n == 0 {
            conn.receive_eof();
        }
        loop {
            let used = conn.receive(pending);
            pending = &pending[used..];
            while let Some(ev) = conn.poll_event() {
                match ev {
                    Event::Request(h) => {
                        if h.body != viper_h1::BodyKind::Empty {
                            conn.send_response(
                                200,
                                &[("content-type", "application/octet-stream")],
                            )
                            .unwrap();
                        } else {
                            let body = format!("hello {}", String::from_utf8_lossy(&h.target));
                            let len = body.len().to_string();
                            conn.send_response(200, &[("content-length", len.as_str())])
                                .unwrap();
                            conn.send_data(body).unwrap();
                        }
                    }
                    Event::Data(d) => conn.send_data(d).unwrap(),
                    Event::End { .. } => conn.finish().unwrap(),
                    Event::Error(e) => {
                        if let Some(s) = e.status {
                            let _ = conn.send_response(s, &[("content-length", "0")]);
                            let _ = conn.finish();
                        }
                    }
                    Event::Upgrade { .. } | Event::Http2Preface { .. } => conn.close(),
                    _ => {}
                }
            }
            while let Some(out) = conn.take_transmit() {
                if sock.write_all(&out).is_err() {
                    return;
                }
            }
            if pending.is_empty() || used == 0 {
                break;
            }
        }
        if conn.is_closed() || n == 0 {
            return;
        }
    }
}

fn start_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for sock in listener.incoming().take(64).flatten() {
            std::thread::spawn(move || serve(sock));
        }
    });
    port
}

/// Runs a command with stdin, killing it after `secs`; returns stdout (and fails the
/// test on a non-zero exit).
fn run(cmd: &mut Command, stdin: &[u8], secs: u64) -> Vec<u8> {
    let out = viper_test_support::run_with_input(cmd, stdin, Duration::from_secs(secs));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn curl_keep_alive_and_chunked_upload() {
    if viper_test_support::program("curl", &["--version"], "apt-get install curl").is_none() {
        return;
    }
    let port = start_server();
    let base = format!("http://127.0.0.1:{port}");
    // Two URLs on one command line reuse the connection (keep-alive).
    let out = run(
        Command::new("curl").args([
            "-sS",
            "--max-time",
            "10",
            "-w",
            "|%{num_connects}",
            &format!("{base}/a"),
            &format!("{base}/b"),
        ]),
        b"",
        20,
    );
    assert_eq!(String::from_utf8_lossy(&out), "hello /a|1hello /b|0");
    // Chunked upload from stdin, echoed back.
    let body: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let out = run(
        Command::new("curl").args([
            "-sS",
            "--max-time",
            "10",
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            "@-",
            &format!("{base}/echo"),
        ]),
        &body,
        20,
    );
    assert_eq!(out, body);
    // Expect: 100-continue with a Content-Length body.
    let out = run(
        Command::new("curl").args([
            "-sS",
            "--max-time",
            "10",
            "-H",
            "Expect: 100-continue",
            "--data-binary",
            "@-",
            &format!("{base}/expect"),
        ]),
        &body[..3000],
        20,
    );
    assert_eq!(out, &body[..3000]);
}

const PY: &str = r#"
import http.client, socket, sys
port = int(sys.argv[1])
# Chunked upload via http.client (encode_chunked), keep-alive across requests.
c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
def gen():
    for i in range(20):
        yield (b"piece-%d;" % i)
c.request("POST", "/up", body=gen(), encode_chunked=True)
r = c.getresponse()
assert r.status == 200, r.status
assert r.getheader("transfer-encoding") == "chunked"
got = r.read()
assert got == b"".join(gen()), got
c.request("GET", "/again")
r = c.getresponse()
assert r.read() == b"hello /again"
c.close()
# Pipelining: three requests in one write, three responses parsed in order.
class NoClose:
    def __init__(self, f): self.f = f
    def __getattr__(self, n): return getattr(self.f, n)
    def close(self): pass
class Sock:
    def __init__(self, f): self.f = f
    def makefile(self, *a, **k): return self.f
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /p1 HTTP/1.1\r\nHost: x\r\n\r\n"
          b"POST /p2 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"
          b"GET /p3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
f = NoClose(s.makefile("rb"))
bodies = []
for _ in range(3):
    r = http.client.HTTPResponse(Sock(f))
    r.begin()
    bodies.append(r.read())
assert bodies == [b"hello /p1", b"body", b"hello /p3"], bodies
assert s.recv(1) == b""   # server closed after Connection: close
print("ok")
"#;

#[test]
fn python_http_client_chunked_upload_and_pipelining() {
    let Some(py) = viper_test_support::python_module(&["http.client"]) else {
        return;
    };
    let port = start_server();
    let out = run(
        Command::new(py).args(["-c", PY, &port.to_string()]),
        b"",
        30,
    );
    assert_eq!(String::from_utf8_lossy(&out).trim(), "ok");
}
