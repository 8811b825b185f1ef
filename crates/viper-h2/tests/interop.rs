//! Interop with real clients over loopback: curl (prior knowledge and h2c upgrade),
//! nghttp, h2load (bounded) and Python's `h2` and `httpx`. Every process has a
//! timeout. A missing peer fails the test unless `VIPER_ALLOW_MISSING_PEERS=1`, which
//! records it as skipped (viper-test-support).

#[path = "support/server.rs"]
mod server;

use std::process::{Command, Output};
use std::time::Duration;

/// Whether `peer` runs (`probe` is its command line); a missing peer fails the test
/// unless skipping is allowed (see viper-test-support).
fn have(peer: &str, probe: &[&str]) -> bool {
    let install = if peer == "curl" {
        "apt-get install curl"
    } else {
        "apt-get install nghttp2-client"
    };
    viper_test_support::program(probe[0], &probe[1..], install).is_some()
}

/// Runs `cmd` with a hard time limit (the test fails past it).
fn run(cmd: &str, args: &[&str], timeout: Duration) -> Output {
    viper_test_support::run_bounded(Command::new(cmd).args(args), timeout)
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const T: Duration = Duration::from_secs(60);

fn tmpfile(name: &str, len: usize) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("viper-h2-{}-{name}", std::process::id()));
    let data: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8).collect();
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn curl_prior_knowledge_get_and_large_upload_echo() {
    if !have("curl", &["curl", "--version"]) {
        return;
    }
    let a = server::spawn("127.0.0.1:0");
    let url = format!("http://{a}/");
    let out = ok(&run(
        "curl",
        &[
            "-sS",
            "-m",
            "30",
            "--http2-prior-knowledge",
            "-w",
            " %{http_version}",
            &url,
        ],
        T,
    ));
    assert_eq!(out, "hello h2\n 2");
    // HEAD: the GET response's head, no body.
    let out = ok(&run(
        "curl",
        &["-sS", "-m", "30", "--http2-prior-knowledge", "-I", &url],
        T,
    ));
    assert!(out.starts_with("HTTP/2 200"), "{out}");
    assert!(out.contains("content-length: 9"), "{out}");
    let up = tmpfile("up", 3_000_000);
    let down = up.with_extension("down");
    let data = format!("@{}", up.display());
    ok(&run(
        "curl",
        &[
            "-sS",
            "-m",
            "30",
            "--http2-prior-knowledge",
            "--data-binary",
            &data,
            "-o",
            down.to_str().unwrap(),
            &format!("http://{a}/echo"),
        ],
        T,
    ));
    assert!(std::fs::read(&up).unwrap() == std::fs::read(&down).unwrap());
    let _ = std::fs::remove_file(&up);
    let _ = std::fs::remove_file(&down);
}

#[test]
fn curl_h2c_upgrade() {
    if !have("curl", &["curl", "--version"]) {
        return;
    }
    let a = server::spawn("127.0.0.1:0");
    let out = ok(&run(
        "curl",
        &[
            "-sS",
            "-m",
            "30",
            "--http2",
            "-w",
            " %{http_version}",
            &format!("http://{a}/big/100000"),
            "-o",
            "/dev/null",
        ],
        T,
    ));
    assert_eq!(out.trim(), "2");
    let out = ok(&run(
        "curl",
        &["-sS", "-m", "30", "--http2", &format!("http://{a}/")],
        T,
    ));
    assert_eq!(out, "hello h2\n");
    // A request body is sent over HTTP/1.1 before the switch (RFC 7540 §3.2) and
    // echoed back over HTTP/2 on stream 1.
    let up = tmpfile("h2c-up", 200_000);
    let down = up.with_extension("down");
    let data = format!("@{}", up.display());
    let out = ok(&run(
        "curl",
        &[
            "-sS",
            "-m",
            "30",
            "--http2",
            "--data-binary",
            &data,
            "-w",
            "%{http_version}",
            "-o",
            down.to_str().unwrap(),
            &format!("http://{a}/echo"),
        ],
        T,
    ));
    assert_eq!(out.trim(), "2");
    assert!(std::fs::read(&up).unwrap() == std::fs::read(&down).unwrap());
    let _ = std::fs::remove_file(&up);
    let _ = std::fs::remove_file(&down);
}

#[test]
fn nghttp_many_concurrent_streams_upload_trailers_and_upgrade() {
    if !have("nghttp", &["nghttp", "--version"]) {
        return;
    }
    let a = server::spawn("127.0.0.1:0");
    let mut args: Vec<String> = vec!["-n".into(), "--stat".into(), "-t".into(), "30".into()];
    for i in 0..60 {
        args.push(format!("http://{a}/big/{}", 1000 + i * 5000));
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ok(&run("nghttp", &argv, T));
    assert_eq!(out.matches(" 200 ").count(), 60, "{out}");
    // Upload with request trailers; the response echoes the body.
    let up = tmpfile("ng", 1_000_000);
    let out = run(
        "nghttp",
        &[
            "-t",
            "30",
            "-d",
            up.to_str().unwrap(),
            "--trailer",
            "x-req: 1",
            &format!("http://{a}/echo"),
        ],
        T,
    );
    assert!(
        out.stdout == std::fs::read(&up).unwrap(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&up);
    let out = ok(&run(
        "nghttp",
        &["-u", "-t", "30", &format!("http://{a}/")],
        T,
    ));
    assert_eq!(out, "hello h2\n");
}

#[test]
fn h2load_bounded_run() {
    if !have("h2load", &["h2load", "--version"]) {
        return;
    }
    let a = server::spawn("127.0.0.1:0");
    let out = ok(&run(
        "h2load",
        &[
            "-n",
            "3000",
            "-c",
            "4",
            "-m",
            "32",
            "-T",
            "30",
            &format!("http://{a}/"),
        ],
        T,
    ));
    assert!(out.contains("3000 succeeded, 0 failed, 0 errored"), "{out}");
    let out = ok(&run(
        "h2load",
        &[
            "-n",
            "40",
            "-c",
            "2",
            "-m",
            "10",
            "-T",
            "30",
            &format!("http://{a}/big/500000"),
        ],
        T,
    ));
    assert!(out.contains("40 succeeded, 0 failed"), "{out}");
}

const PY_H2: &str = r#"
import socket, sys, h2.connection, h2.config, h2.events
addr = sys.argv[1].rsplit(':', 1)
s = socket.create_connection((addr[0], int(addr[1])), timeout=20)
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()
c.increment_flow_control_window(8 << 20)
s.sendall(c.data_to_send())
N = 50
bodies = {}
want = {}
pending = {}
for i in range(N):
    sid = c.get_next_available_stream_id()
    body = bytes([i % 251]) * (1000 + i * 3000)
    c.send_headers(sid, [(':method', 'POST'), (':scheme', 'http'), (':authority', 'x'), (':path', '/echo'), ('te', 'trailers')])
    want[sid] = body
    pending[sid] = body
    bodies[sid] = b''
trailers = {}
done = set()
def pump():
    for sid in list(pending):
        b = pending[sid]
        n = min(len(b), c.local_flow_control_window(sid), c.max_outbound_frame_size)
        if n > 0:
            c.send_data(sid, b[:n])
            pending[sid] = b[n:]
        if not pending[sid]:
            c.send_headers(sid, [('x-client-trailer', 'yes')], end_stream=True)
            del pending[sid]
    s.sendall(c.data_to_send())
pump()
while len(done) < N:
    data = s.recv(65536)
    if not data:
        raise SystemExit('closed early')
    for e in c.receive_data(data):
        if isinstance(e, h2.events.DataReceived):
            bodies[e.stream_id] += e.data
            c.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
        elif isinstance(e, h2.events.TrailersReceived):
            trailers[e.stream_id] = dict(e.headers)
        elif isinstance(e, h2.events.StreamEnded):
            done.add(e.stream_id)
        elif isinstance(e, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
            raise SystemExit('error: %r' % e)
    pump()
for sid in want:
    assert bodies[sid] == want[sid], sid
    assert trailers[sid][b'x-body-len'] == str(len(want[sid])).encode(), trailers[sid]
    assert trailers[sid][b'x-trailers-in'] == b'1', trailers[sid]
c.close_connection()
s.sendall(c.data_to_send())
print('ok', N)
"#;

const PY_HTTPX: &str = r#"
import sys, httpx
base = 'http://' + sys.argv[1]
with httpx.Client(http1=False, http2=True, timeout=20) as cl:
    r = cl.get(base + '/')
    assert r.http_version == 'HTTP/2', r.http_version
    assert r.text == 'hello h2\n'
    body = bytes(range(256)) * 8000
    r = cl.post(base + '/echo', content=body)
    assert r.content == body
    r = cl.get(base + '/big/2000000')
    assert len(r.content) == 2000000
    assert cl.get(base + '/nope').status_code == 404
print('ok')
"#;

#[test]
fn python_h2_concurrent_streams_with_trailers() {
    let Some(py) = viper_test_support::python_module(&["h2"]) else {
        return;
    };
    let a = server::spawn("127.0.0.1:0");
    let out = ok(&run(
        py.to_str().unwrap(),
        &["-c", PY_H2, &a.to_string()],
        T,
    ));
    assert_eq!(out.trim(), "ok 50");
}

#[test]
fn python_httpx_prior_knowledge() {
    let Some(py) = viper_test_support::python_module(&["httpx", "h2"]) else {
        return;
    };
    let a = server::spawn("127.0.0.1:0");
    let out = ok(&run(
        py.to_str().unwrap(),
        &["-c", PY_HTTPX, &a.to_string()],
        T,
    ));
    assert_eq!(out.trim(), "ok");
}
