//! Real clients on loopback: curl (h1, h2c prior knowledge, h2c upgrade), nghttp,
//! Python httpx (h1, h2) and websockets, tungstenite, and headless Chromium.

mod common;

use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::*;
use viper_tokio::ServerConfig;

const LIMIT: Duration = Duration::from_secs(20);

fn curl(args: &[&str]) -> String {
    let out = run_bounded(
        Command::new("curl")
            .args(["-sS", "--max-time", "10"])
            .args(args),
        LIMIT,
    );
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn curl_h1_h2c_prior_knowledge_and_upgrade() {
    if !peer_available("curl", "curl") {
        return;
    }
    let mut s = TestServer::start(demo_app(64), ServerConfig::default());
    // HTTP/1.1, keep-alive across two URLs on one connection.
    let out = curl(&[
        "-w",
        "|%{http_version}|%{num_connects}\n",
        &s.url("/hello"),
        &s.url("/items/42?verbose=true"),
    ]);
    assert_eq!(
        out,
        "Hello, world!|1.1|1\n{\"id\":42,\"verbose\":true}|1.1|0\n"
    );
    // h2c prior knowledge.
    let out = curl(&[
        "--http2-prior-knowledge",
        "-w",
        "|%{http_version}",
        &s.url("/items/7"),
    ]);
    assert_eq!(out, "{\"id\":7,\"verbose\":false}|2");
    // h2c upgrade from HTTP/1.1.
    let out = curl(&["--http2", "-v", &s.url("/hello")]);
    assert_eq!(out, "Hello, world!");
    let out = run_bounded(
        Command::new("curl").args(["-sS", "--max-time", "10", "--http2", "-v", &s.url("/hello")]),
        LIMIT,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("101 Switching Protocols"), "{err}");
    assert!(err.contains("HTTP/2 200"), "{err}");
    // Request body (chunked upload) and streamed response over both protocols.
    let out = curl(&[
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        "ping-body",
        &s.url("/echo"),
    ]);
    assert_eq!(out, "ping-body");
    let out = curl(&[
        "--http2-prior-knowledge",
        "--data-binary",
        "h2-body",
        &s.url("/echo"),
    ]);
    assert_eq!(out, "h2-body");
    assert_eq!(
        curl(&[&s.url("/stream")]),
        "chunk0;chunk1;chunk2;chunk3;chunk4;"
    );
    assert_eq!(
        curl(&["--http2-prior-knowledge", &s.url("/stream")]),
        "chunk0;chunk1;chunk2;chunk3;chunk4;"
    );
    // SSE with Last-Event-ID.
    let out = curl(&["-N", "-H", "Last-Event-ID: 9", &s.url("/events")]);
    assert!(
        out.contains("event: reading\ndata: r10\nid: 10\n\n"),
        "{out}"
    );
    assert!(out.contains("data: r12\n"), "{out}");
    // Router answers: 404, 405 with Allow.
    let out = curl(&["-o", "/dev/null", "-w", "%{http_code}", &s.url("/nope")]);
    assert_eq!(out, "404");
    let out = curl(&["-X", "DELETE", "-i", &s.url("/hello")]);
    assert!(out.starts_with("HTTP/1.1 405"), "{out}");
    assert!(
        out.to_ascii_lowercase().contains("allow: get, head"),
        "{out}"
    );
    s.wait_for("connections closed", |st| st.active() == 0);
    let st = s.stats.snapshot();
    assert!(
        st.requests_h1 >= 7 && st.requests_h2 >= 4,
        "{}",
        s.stats.to_json()
    );
    assert!(st.upgrades_h2c >= 2);
    s.shutdown();
}

#[test]
fn nghttp_client() {
    if !peer_available("nghttp", "nghttp2-client") {
        return;
    }
    let s = TestServer::start(demo_app(64), ServerConfig::default());
    let out = run_bounded(
        Command::new("nghttp").args([
            "-t",
            "10",
            "-n",
            "-s",
            &s.url("/hello"),
            &s.url("/items/1"),
            &s.url("/stream"),
        ]),
        LIMIT,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_bounded(
        Command::new("nghttp").args(["-t", "10", &s.url("/items/5")]),
        LIMIT,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"id\":5,\"verbose\":false}"
    );
    // Upgrade path too.
    let out = run_bounded(
        Command::new("nghttp").args(["-t", "10", "-u", &s.url("/hello")]),
        LIMIT,
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hello, world!");
}

#[test]
fn python_httpx_h1_h2_and_websockets() {
    if !python_modules(&["httpx", "h2", "websockets"]) {
        return;
    }
    let s = TestServer::start(demo_app(64), ServerConfig::default());
    let script = format!(
        r#"
import asyncio, httpx, websockets
base = "http://{addr}"
with httpx.Client(timeout=5) as c:
    r = c.get(base + "/items/3?verbose=1")
    assert r.http_version == "HTTP/1.1" and r.json() == {{"id": 3, "verbose": False}}, (r.http_version, r.text)
    r = c.post(base + "/echo", content=b"x" * 100000)
    assert r.content == b"x" * 100000
with httpx.Client(http2=True, timeout=5) as c:
    # httpx speaks h2 only after ALPN; over cleartext it uses HTTP/1.1 unless told.
    r = c.get(base + "/hello")
    assert r.status_code == 200 and r.text == "Hello, world!"
async def h2():
    async with httpx.AsyncClient(http1=False, http2=True, timeout=5) as c:
        rs = await asyncio.gather(*[c.get(base + f"/items/{{i}}") for i in range(20)])
        assert all(r.http_version == "HTTP/2" for r in rs), [r.http_version for r in rs]
        assert [r.json()["id"] for r in rs] == list(range(20))
        r = await c.post(base + "/echo", content=b"y" * 300000)
        assert r.content == b"y" * 300000
async def ws():
    async with websockets.connect("ws://{addr}/ws/echo", open_timeout=5, close_timeout=5) as w:
        for i in range(10):
            await w.send(f"m{{i}}")
            assert await asyncio.wait_for(w.recv(), 5) == f"m{{i}}"
        await w.send(b"\x00\x01")
        assert await asyncio.wait_for(w.recv(), 5) == b"\x00\x01"
        await w.ping()
asyncio.run(h2())
asyncio.run(ws())
print("ok")
"#,
        addr = s.addr
    );
    let out = run_bounded(Command::new(python()).args(["-c", &script]), LIMIT);
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

#[test]
fn tungstenite_echo() {
    let s = TestServer::start(demo_app(64), ServerConfig::default());
    let tcp = TcpStream::connect(s.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let (mut ws, resp) =
        tungstenite::client(format!("ws://{}/ws/echo", s.addr), tcp).expect("handshake");
    assert_eq!(resp.status(), 101);
    for i in 0..20 {
        let msg = "x".repeat(i * 1000);
        ws.send(tungstenite::Message::text(msg.clone())).unwrap();
        match ws.read().unwrap() {
            tungstenite::Message::Text(t) => assert_eq!(t.as_str(), msg),
            other => panic!("unexpected {other:?}"),
        }
    }
    ws.close(Some(tungstenite::protocol::CloseFrame {
        code: tungstenite::protocol::frame::coding::CloseCode::Normal,
        reason: "bye".into(),
    }))
    .unwrap();
    let mut echoed = None;
    loop {
        match ws.read() {
            Ok(tungstenite::Message::Close(f)) => echoed = f.map(|f| u16::from(f.code)),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    assert_eq!(echoed, Some(1000), "close code echoed");
    s.wait_for("ws session closed", |st| st.active() == 0);
    let st = s.stats.snapshot();
    assert_eq!(st.websocket_sessions, 1);
    assert_eq!(st.ws_messages_in, 20);
    assert_eq!(st.ws_messages_out, 20);
}

#[test]
fn max_connections_refuses_with_503() {
    let cfg = ServerConfig {
        max_connections: 1,
        ..ServerConfig::default()
    };
    let s = TestServer::start(demo_app(64), cfg);
    use std::io::{Read, Write};
    let mut first = TcpStream::connect(s.addr).unwrap();
    first
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    first
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 512];
    let n = first.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let mut second = TcpStream::connect(s.addr).unwrap();
    second
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut resp = Vec::new();
    let _ = second.read_to_end(&mut resp);
    let resp = String::from_utf8_lossy(&resp);
    assert!(
        resp.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{resp}"
    );
    assert!(resp.contains("retry-after: 1\r\n"));
    // The first connection is not disturbed.
    first
        .write_all(b"GET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let n = first.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    assert_eq!(s.stats.snapshot().connections_refused, 1);
}

#[test]
fn graceful_shutdown_finishes_in_flight_and_closes_idle() {
    use std::io::{Read, Write};
    let mut s = TestServer::start(demo_app(64), ServerConfig::default());
    let mut idle = TcpStream::connect(s.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    idle.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 512];
    let n = idle.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let mut sse = TcpStream::connect(s.addr).unwrap();
    sse.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sse.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let n = sse.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    s.shutdown();
    // The idle keep-alive connection was closed (EOF), the SSE stream ended cleanly.
    let mut rest = Vec::new();
    assert_eq!(idle.read_to_end(&mut rest).unwrap(), 0);
    let mut rest = Vec::new();
    let _ = sse.read_to_end(&mut rest);
    assert!(
        String::from_utf8_lossy(&rest).ends_with("0\r\n\r\n"),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );
    assert_eq!(s.stats.active(), 0);
    assert!(TcpStream::connect(s.addr).is_err(), "listener closed");
}

#[test]
fn chromium_page_sees_websocket_echo_and_sse_events() {
    if !peer_available("chromium", "chromium") {
        return;
    }
    let page = r#"<!doctype html><html><body>
<span id="sse-count">0</span><span id="ws-echo"></span>
<script>
let n = 0;
const es = new EventSource('/events');
es.addEventListener('reading', e => { n += 1; document.getElementById('sse-count').textContent = String(n); });
const ws = new WebSocket('ws://' + location.host + '/ws/echo');
ws.onopen = () => ws.send('echo-from-chromium');
ws.onmessage = e => { document.getElementById('ws-echo').textContent = e.data; };
</script></body></html>"#;
    // The handler runs on a runtime thread: hand it the page through a static.
    static PAGE_TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PAGE_TEXT.get_or_init(|| page.to_string());
    async fn page_static(
        _r: viper_tokio::Request,
        _s: std::sync::Arc<DemoState>,
    ) -> viper_tokio::Response {
        viper_tokio::Response::html(PAGE_TEXT.get().cloned().unwrap_or_default())
    }
    let app = demo_app(64).get("/", page_static);
    let s = TestServer::start(app, ServerConfig::default());
    let profile = std::env::temp_dir().join(format!("viper-chromium-{}", std::process::id()));
    let out = run_bounded(
        Command::new("chromium").args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=3000",
            "--dump-dom",
            &s.url("/"),
        ]),
        Duration::from_secs(60),
    );
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout);
    let count: u32 = dom
        .split("<span id=\"sse-count\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(
        count >= 3,
        "SSE events in the DOM: {count}\n{dom}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dom.contains("<span id=\"ws-echo\">echo-from-chromium</span>"),
        "{dom}"
    );
}
