//! viper-embassy on Linux, end to end: each test creates a private network namespace with
//! a TAP interface, runs the `tap_server` example (embassy-net over embassy-net-tuntap,
//! the executor's `platform-std`) inside it, and talks to it with real clients in the same
//! namespace — curl (HTTP/1.1 and h2c) and Python `websockets`.
//!
//! Needs root (for `ip netns` and the TAP device), iproute2, curl and the venv's Python;
//! a missing one fails the test unless VIPER_ALLOW_MISSING_PEERS=1.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use viper_test_support::{
    missing, program, python_module, run_bounded, run_with_input, KillOnDrop,
};

const SERVER_IP: &str = "192.168.69.2";
const LIMIT: Duration = Duration::from_secs(60);

/// A network namespace with `tap0` (192.168.69.1/24 on the namespace's side), deleted
/// (with every process in it) on drop.
struct Netns {
    name: String,
}

impl Netns {
    fn new() -> Option<Netns> {
        static N: AtomicUsize = AtomicUsize::new(0);
        program("ip", &["-V"], "apt-get install iproute2")?;
        let name = format!(
            "vemb{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .map(|s| s.success());
        if !matches!(ok, Ok(true)) {
            missing("root (ip netns add)", "run the tests as root, as CI does");
            return None;
        }
        let ns = Netns { name };
        for cmd in [
            "ip link set lo up",
            "ip tuntap add dev tap0 mode tap",
            "ip addr add 192.168.69.1/24 dev tap0",
            "ip link set tap0 up",
        ] {
            let out = run_bounded(&mut ns.exec(&cmd.split(' ').collect::<Vec<_>>()), LIMIT);
            assert!(
                out.status.success(),
                "{cmd}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Some(ns)
    }

    fn exec(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).args(args);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
            .map(|o| {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            });
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// The `tap_server` example, (re)built once per test process.
fn server_binary() -> PathBuf {
    viper_test_support::example_binary("viper-embassy", "tap_server")
}

/// Starts the server in `ns` and waits until `/hello` answers.
fn start(ns: &Netns, refusers: &str) -> KillOnDrop {
    start_app(ns, refusers, "hello", "/hello", b"Hello, world!")
}

/// Starts `tap_server --app APP` and waits until `probe` answers `want`.
fn start_app(ns: &Netns, refusers: &str, app: &str, probe: &str, want: &[u8]) -> KillOnDrop {
    let bin = server_binary();
    let server = KillOnDrop::spawn(&mut ns.exec(&[
        bin.to_str().unwrap(),
        "--tap",
        "tap0",
        "--slots",
        "8",
        "--refusers",
        refusers,
        "--app",
        app,
    ]))
    .expect("start tap_server");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = run_bounded(
            &mut ns.exec(&[
                "curl",
                "-s",
                "-m",
                "2",
                &format!("http://{SERVER_IP}{probe}"),
            ]),
            LIMIT,
        );
        if out.stdout == want {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "tap_server did not answer within 20 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `/stats` as (busy, accepted, refused, heap).
fn stats(ns: &Netns) -> (u64, u64, u64, i64) {
    let out = run_bounded(
        &mut ns.exec(&[
            "curl",
            "-s",
            "-m",
            "5",
            &format!("http://{SERVER_IP}/stats"),
        ]),
        LIMIT,
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |name: &str| -> i64 {
        let key = format!("\"{name}\":");
        let rest = &text[text
            .find(&key)
            .unwrap_or_else(|| panic!("{name} in {text:?}"))
            + key.len()..];
        rest.split([',', '}']).next().unwrap().parse().unwrap()
    };
    (
        field("busy") as u64,
        field("accepted") as u64,
        field("refused") as u64,
        field("heap"),
    )
}

#[test]
fn http1_and_h2c_over_tap() {
    let Some(_curl) = program("curl", &["--version"], "apt-get install curl") else {
        return;
    };
    let Some(ns) = Netns::new() else { return };
    let _server = start(&ns, "1");
    let url = format!("http://{SERVER_IP}/hello");
    let out = run_bounded(&mut ns.exec(&["curl", "-s", "-i", "-m", "5", &url]), LIMIT);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(
        text.contains("content-length: 13\r\n") && text.ends_with("Hello, world!"),
        "{text}"
    );
    // h2c with prior knowledge, and the HTTP/1.1 Upgrade path, both through viper-server.
    for flag in ["--http2-prior-knowledge", "--http2"] {
        let out = run_bounded(
            &mut ns.exec(&[
                "curl",
                "-s",
                "-m",
                "5",
                flag,
                "-w",
                "\n%{http_version} %{http_code}",
                &url,
            ]),
            LIMIT,
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "Hello, world!\n2 200",
            "{flag}"
        );
    }
    let out = run_bounded(
        &mut ns.exec(&[
            "curl",
            "-s",
            "-m",
            "5",
            "-w",
            "%{http_code}",
            "-o",
            "/dev/null",
            &format!("http://{SERVER_IP}/nope"),
        ]),
        LIMIT,
    );
    assert_eq!(out.stdout, b"404");
}

/// Seed 004: 1, 4 and 8 WebSocket clients at once, a 9th refused with 503 while the
/// slots are full, served again once they close; live heap back to its baseline.
#[test]
fn eight_websockets_then_a_clean_refusal() {
    let Some(_curl) = program("curl", &["--version"], "apt-get install curl") else {
        return;
    };
    let Some(py) = python_module(&["websockets"]) else {
        return;
    };
    let Some(ns) = Netns::new() else { return };
    let _server = start(&ns, "1");
    let (_, _, _, heap_before) = stats(&ns);
    let script = format!(
        r#"
import asyncio, websockets
URL = "ws://{SERVER_IP}/ws"
async def group(n):
    conns = [await websockets.connect(URL, open_timeout=5) for _ in range(n)]
    for i, c in enumerate(conns):
        await c.send(f"m{{n}}-{{i}}")
        await c.send(bytes([i, n]))
    for i, c in enumerate(conns):
        assert await c.recv() == f"m{{n}}-{{i}}"
        assert await c.recv() == bytes([i, n])
    return conns
async def main():
    for n in (1, 4):
        for c in await group(n):
            await c.close()
    conns = await group(8)
    try:
        await websockets.connect(URL, open_timeout=5)
        print("NINTH ACCEPTED")
    except websockets.exceptions.InvalidStatus as e:
        print("ninth", e.response.status_code, e.response.headers.get("retry-after"))
    for c in conns:
        await c.close()
    await asyncio.sleep(0.5)
    c = await websockets.connect(URL, open_timeout=5)
    await c.send("again")
    print("after", await c.recv())
    await c.close()
asyncio.run(main())
"#
    );
    let out = run_with_input(
        &mut ns.exec(&[py.to_str().unwrap(), "-"]),
        script.as_bytes(),
        LIMIT,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text, "ninth 503 1\nafter again\n");
    std::thread::sleep(Duration::from_millis(300));
    let (busy, accepted, refused, heap_after) = stats(&ns);
    assert_eq!(busy, 1, "only the /stats request itself holds a slot");
    assert_eq!(refused, 1);
    assert!(
        accepted > 1 + 4 + 8,
        "1 + 4 + 8 + 1 WebSocket connections were accepted"
    );
    assert_eq!(heap_after, heap_before, "live heap back to its baseline");
}

/// 200 connect/request/disconnect cycles, all answered, and the heap back to baseline.
#[test]
fn two_hundred_connect_cycles() {
    let Some(_curl) = program("curl", &["--version"], "apt-get install curl") else {
        return;
    };
    let Some(py) = python_module(&["websockets"]) else {
        return;
    };
    let Some(ns) = Netns::new() else { return };
    let _server = start(&ns, "1");
    let (_, _, _, heap_before) = stats(&ns);
    let script = format!(
        r#"
import socket
ok = 0
for i in range(200):
    s = socket.create_connection(("{SERVER_IP}", 80), timeout=5)
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    ok += data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"Hello, world!")
print(ok)
"#
    );
    let out = run_with_input(
        &mut ns.exec(&[py.to_str().unwrap(), "-"]),
        script.as_bytes(),
        LIMIT,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "200");
    std::thread::sleep(Duration::from_millis(300));
    let (busy, _, refused, heap_after) = stats(&ns);
    assert_eq!((busy, refused), (1, 0));
    assert_eq!(heap_after, heap_before, "live heap back to its baseline");
}

/// Without refusal sockets a 9th client is refused at the TCP level (no listener), and
/// the 8 served clients are not disturbed.
#[test]
fn without_refusal_sockets_the_ninth_is_reset() {
    let Some(py) = python_module(&["websockets"]) else {
        return;
    };
    let Some(_curl) = program("curl", &["--version"], "apt-get install curl") else {
        return;
    };
    let Some(ns) = Netns::new() else { return };
    let _server = start(&ns, "0");
    let script = format!(
        r#"
import asyncio, websockets
URL = "ws://{SERVER_IP}/ws"
async def main():
    conns = [await websockets.connect(URL, open_timeout=5) for _ in range(8)]
    try:
        await websockets.connect(URL, open_timeout=3)
        print("NINTH ACCEPTED")
    except (ConnectionRefusedError, OSError, asyncio.TimeoutError, TimeoutError) as e:
        print("ninth refused")
    for i, c in enumerate(conns):
        await c.send(str(i))
        assert await c.recv() == str(i)
    print("eight alive")
asyncio.run(main())
"#
    );
    let out = run_with_input(
        &mut ns.exec(&[py.to_str().unwrap(), "-"]),
        script.as_bytes(),
        LIMIT,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ninth refused\neight alive\n"
    );
}

/// Seed 004's fan-out from the shared `conformance/stress/stress.py`: 7 chat members (the
/// 8th slot stays free for the readiness probe), one publishing 40 messages at 20 msg/s;
/// every member gets all 40 once and in order. Then 1 000 connect cycles.
#[test]
fn stress_fan_out_and_a_thousand_cycles_over_tap() {
    let Some(py) = python_module(&["websockets"]) else {
        return;
    };
    let Some(_curl) = program("curl", &["--version"], "apt-get install curl") else {
        return;
    };
    let Some(ns) = Netns::new() else { return };
    let _server = start(&ns, "1");
    let script = viper_test_support::workspace_root().join("conformance/stress/stress.py");
    let run = |args: &[&str]| {
        let out = run_bounded(
            ns.exec(&[py.to_str().unwrap(), script.to_str().unwrap()])
                .args(args),
            Duration::from_secs(120),
        );
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            out.status.success(),
            "{args:?}: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!("{text}");
        text
    };
    let url = format!("ws://{SERVER_IP}/ws/chat");
    // A warm-up round sizes the chat's member list; the baseline is taken after it.
    run(&[
        "fanout",
        &url,
        "--clients",
        "7",
        "--messages",
        "10",
        "--rate",
        "50",
    ]);
    std::thread::sleep(Duration::from_millis(300));
    let (_, _, _, heap_before) = stats(&ns);
    let line = run(&[
        "fanout",
        &url,
        "--clients",
        "7",
        "--messages",
        "40",
        "--rate",
        "20",
    ]);
    assert_eq!(
        line,
        "fanout: 7 of 7 received all 40 once and in order, extra 0"
    );
    let line = run(&["cycles", &format!("{SERVER_IP}:80"), "--n", "1000"]);
    assert!(
        line.starts_with("cycles: 1000 of 1000 answered 200"),
        "{line}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let (busy, _, refused, heap_after) = stats(&ns);
    assert_eq!((busy, refused), (1, 0));
    assert_eq!(heap_after, heap_before, "live heap back to its baseline");
}

/// A `viper::App` (the application crate) served by viper-embassy over TAP: typed path
/// parameters, FastAPI's 404 and 422 bodies, over HTTP/1.1 and h2c.
#[test]
fn a_viper_app_over_tap() {
    let Some(_curl) = program("curl", &["--version"], "apt-get install curl") else {
        return;
    };
    let Some(ns) = Netns::new() else { return };
    let _server = start_app(&ns, "1", "viper", "/api/health", br#"{"status":"ok"}"#);
    let get = |flag: &str, path: &str| {
        let out = run_bounded(
            &mut ns.exec(&[
                "curl",
                "-s",
                "-m",
                "5",
                flag,
                "-w",
                "\n%{http_code}",
                &format!("http://{SERVER_IP}{path}"),
            ]),
            LIMIT,
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for flag in ["--http1.1", "--http2-prior-knowledge"] {
        // JSON bodies compare as values (key order is the serializer's).
        let ok = get(flag, "/api/sensors/1");
        let (body, status) = ok.rsplit_once('\n').unwrap();
        let body: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
        let want =
            serde_json::json!({"id": 1, "type": "temperature", "value": 21.5, "unit": "celsius"});
        assert_eq!((body, status), (want, "200"), "{flag}");
        assert_eq!(
            get(flag, "/api/sensors/9"),
            "{\"detail\":\"Sensor 9 not found\"}\n404",
            "{flag}"
        );
        let bad = get(flag, "/api/sensors/abc");
        assert!(
            bad.ends_with("\n422") && bad.contains("\"type\":\"int_parsing\""),
            "{flag}: {bad}"
        );
        assert_eq!(
            get(flag, "/nope"),
            "{\"detail\":\"Not Found\"}\n404",
            "{flag}"
        );
    }
}
