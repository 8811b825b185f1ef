//! viper-esp-idf against real clients on loopback: curl (HTTP/1.1, h2c by prior knowledge
//! and by Upgrade, SSE), Python `websockets` and raw pipelined sockets. The application is
//! a small worker: `/hello`, `/slow` (the worker sleeps 30 ms), `/events` (three SSE
//! events), `/ws` (echo).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use viper_esp_idf::{Config, Handle, Server};
use viper_server::WsMessage;
use viper_test_support::{program, python_module, run_bounded, run_with_input};

const LIMIT: Duration = Duration::from_secs(60);

#[path = "../examples/common/app.rs"]
mod app;
use app::App;

struct Running {
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    fn addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn start(config: Config) -> Running {
    let server = Server::bind("127.0.0.1:0", config).expect("bind");
    let handle = server.handle();
    let thread = std::thread::spawn(move || server.run(App::default).expect("run"));
    Running {
        handle,
        thread: Some(thread),
    }
}

fn curl(args: &[&str]) -> String {
    let out = run_bounded(
        std::process::Command::new("curl")
            .args(["-s", "-m", "10"])
            .args(args),
        LIMIT,
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn curl_http1_h2c_and_date() {
    let Some(_) = program("curl", &["--version"], "apt-get install curl") else {
        return;
    };
    let s = start(Config::default());
    let head = curl(&["-i", &s.url("/hello")]);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.ends_with("\r\n\r\nHello, world!"), "{head}");
    let date = head
        .lines()
        .find_map(|l| l.strip_prefix("date: "))
        .unwrap_or_else(|| panic!("no date header: {head}"));
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date:?}");
    for flag in ["--http2-prior-knowledge", "--http2"] {
        let got = curl(&[
            flag,
            "-w",
            "\n%{http_version} %{http_code}",
            &s.url("/hello"),
        ]);
        assert_eq!(got, "Hello, world!\n2 200", "{flag}");
    }
    assert_eq!(
        curl(&["-w", "%{http_code}", "-o", "/dev/null", &s.url("/missing")]),
        "404"
    );
    // Server-sent events, streamed by the worker, over HTTP/1.1 and HTTP/2.
    for flag in ["--http1.1", "--http2-prior-knowledge"] {
        let got = curl(&[flag, "-N", &s.url("/events")]);
        let want: String = (1..=3)
            .map(|i| format!("event: reading\ndata: {{\"n\": {i}}}\nid: {i}\n\n"))
            .collect();
        assert_eq!(got, want, "{flag}");
    }
    // /hello over h1, prior-knowledge h2 and Upgrade, /missing, /events twice.
    assert_eq!(s.handle.stats().requests.load(Ordering::Relaxed), 6);
}

#[test]
fn websocket_echo_with_python_websockets() {
    let Some(py) = python_module(&["websockets"]) else {
        return;
    };
    let s = start(Config::default());
    let script = format!(
        r#"
import asyncio, websockets
async def main():
    async with websockets.connect("ws://{}/ws") as c:
        for i in range(50):
            await c.send(f"text {{i}}")
            assert await c.recv() == f"text {{i}}"
        await c.send(bytes(range(256)) * 40)
        assert await c.recv() == bytes(range(256)) * 40
    print("ok")
asyncio.run(main())
"#,
        s.addr()
    );
    let out = run_with_input(
        std::process::Command::new(py).arg("-"),
        script.as_bytes(),
        LIMIT,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `max_clients` served, the next client refused with 503 (never a crash), the served ones
/// undisturbed, and a new client served once one leaves.
#[test]
fn max_clients_then_a_clean_503() {
    let Some(py) = python_module(&["websockets"]) else {
        return;
    };
    let s = start(Config {
        max_clients: 3,
        ..Config::default()
    });
    let script = format!(
        r#"
import asyncio, websockets
URL = "ws://{}/ws"
async def main():
    conns = [await websockets.connect(URL) for _ in range(3)]
    try:
        await websockets.connect(URL, open_timeout=5)
        print("FOURTH ACCEPTED")
    except websockets.exceptions.InvalidStatus as e:
        print("fourth", e.response.status_code, e.response.headers.get("retry-after"))
    for i, c in enumerate(conns):
        await c.send(str(i)); assert await c.recv() == str(i)
    await conns[0].close()
    await asyncio.sleep(0.2)
    c = await websockets.connect(URL)
    await c.send("again"); print("after", await c.recv())
asyncio.run(main())
"#,
        s.addr()
    );
    let out = run_with_input(
        std::process::Command::new(py).arg("-"),
        script.as_bytes(),
        LIMIT,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "fourth 503 1\nafter again\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(s.handle.stats().refused.load(Ordering::Relaxed), 1);
}

/// A slow application with a one-event queue: the protocol thread stops reading instead
/// of buffering, and every pipelined request is still answered, in order.
#[test]
fn slow_worker_pushes_back_and_answers_everything_in_order() {
    let s = start(Config {
        event_queue: 1,
        ..Config::default()
    });
    let mut sock = TcpStream::connect(s.addr()).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let n = 20;
    let mut reqs = String::new();
    for i in 0..n {
        reqs.push_str(&format!("GET /slow?{i} HTTP/1.1\r\nHost: t\r\n\r\n"));
    }
    sock.write_all(reqs.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let want_last = format!("slow {}", n - 1);
    while !String::from_utf8_lossy(&got).ends_with(&want_last) {
        let k = sock.read(&mut buf).expect("answers keep coming");
        assert!(k > 0, "closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..k]);
    }
    let text = String::from_utf8_lossy(&got);
    let bodies: Vec<&str> = text
        .split("\r\n\r\n")
        .skip(1)
        .map(|b| b.split("HTTP/1.1").next().unwrap())
        .collect();
    let want: Vec<String> = (0..n).map(|i| format!("slow {i}")).collect();
    assert_eq!(bodies, want);
    assert!(
        s.handle.stats().backpressure.load(Ordering::Relaxed) > 0,
        "the queue never filled"
    );
}

/// 200 connect/request/close cycles; the active count returns to zero.
#[test]
fn two_hundred_connect_cycles() {
    let s = start(Config::default());
    for i in 0..200 {
        let mut c = TcpStream::connect(s.addr()).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.write_all(b"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut v = Vec::new();
        c.read_to_end(&mut v).unwrap();
        assert!(
            v.ends_with(b"Hello, world!"),
            "cycle {i}: {}",
            String::from_utf8_lossy(&v)
        );
    }
    let stats = s.handle.stats();
    for _ in 0..100 {
        if stats.active.load(Ordering::Relaxed) == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(stats.active.load(Ordering::Relaxed), 0);
    assert_eq!(stats.accepted.load(Ordering::Relaxed), 200);
}

#[allow(dead_code)]
fn _message_is_send(m: WsMessage) -> impl Send {
    m
}
