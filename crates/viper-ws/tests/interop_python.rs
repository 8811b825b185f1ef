//! Interop on loopback with Python `websockets` (sync API), both ways, with
//! and without permessage-deflate, including large fragmented messages.
mod common;
use common::net::*;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;
use viper_ws::deflate::DeflateConfig;
use viper_ws::handshake::{ClientHandshake, ServerConfig};
use viper_ws::{CloseCode, Config, DataKind, Event, State};

const PY_CLIENT: &str = r#"
import sys
from websockets.sync.client import connect
port, mode = sys.argv[1], sys.argv[2]
comp = None if mode == "none" else "deflate"
with connect(f"ws://127.0.0.1:{port}/", compression=comp, max_size=2**24,
             open_timeout=10, close_timeout=10) as ws:
    print("EXT", ws.response.headers.get("Sec-WebSocket-Extensions"))
    for i in range(30):
        m = ("héllo %d " % i) * (i * 20 + 1)
        ws.send(m)
        assert ws.recv(timeout=10) == m, i
    b = bytes(range(256)) * 4096
    ws.send([b[i:i + 65536] for i in range(0, len(b), 65536)])
    assert ws.recv(timeout=10) == b
    t = "κόσμε" * 50000
    ws.send([t[i:i + 7777] for i in range(0, len(t), 7777)])
    assert ws.recv(timeout=10) == t
    ws.ping(b"py").wait(timeout=10)
    ws.send(b"")
    assert ws.recv(timeout=10) == b""
print("OK")
"#;

const PY_SERVER: &str = r#"
import sys, threading
from websockets.sync.server import serve
mode = sys.argv[1]
comp = None if mode == "none" else "deflate"
def echo(ws):
    for m in ws:
        ws.send(m)
with serve(echo, "127.0.0.1", 0, compression=comp, max_size=2**24) as server:
    print(server.socket.getsockname()[1], flush=True)
    threading.Timer(20, server.shutdown).start()
    server.serve_forever()
"#;

fn cfg() -> Config {
    Config {
        max_frame_size: 16 << 20,
        max_message_size: 16 << 20,
        ..Config::default()
    }
}

fn python_client_against_viper_server(deflate: bool, in_place: bool) {
    let Some(py) = require_python_websockets() else {
        return;
    };
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let hs = ServerConfig {
        protocols: vec![],
        deflate: deflate.then(DeflateConfig::default),
    };
    let server = if in_place {
        spawn_echo_server_in_place(l, hs, cfg())
    } else {
        let plain = spawn_echo_server(l, hs, cfg());
        std::thread::spawn(move || plain.join().unwrap().map(|ext| (ext, 0)))
    };
    let child = Command::new(&py)
        .args([
            "-c",
            PY_CLIENT,
            &port.to_string(),
            if deflate { "deflate" } else { "none" },
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_child(child, Duration::from_secs(60)).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("OK"),
        "stdout={stdout} stderr={}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ext, borrowed) = server.join().unwrap().unwrap();
    if in_place {
        // Plain: the 30 texts and the empty binary are single frames that fit
        // the server's buffer, so all come out borrowed; the fragmented
        // messages do not. Deflate: the client compresses every message, and
        // compressed messages take the copying path.
        assert_eq!(borrowed, if deflate { 0 } else { 31 });
    }
    if deflate {
        let ext = ext.expect("deflate negotiated");
        assert!(ext.starts_with("permessage-deflate"), "{ext}");
        assert!(stdout.contains("EXT permessage-deflate"), "{stdout}");
    } else {
        assert_eq!(ext, None);
        assert!(stdout.contains("EXT None"));
    }
}

#[test]
fn python_client_viper_server_plain() {
    python_client_against_viper_server(false, false);
}

#[test]
fn python_client_viper_server_deflate() {
    python_client_against_viper_server(true, false);
}

/// The same through `receive_in_place`, echoing borrowed messages.
#[test]
fn python_client_viper_in_place_server_plain() {
    python_client_against_viper_server(false, true);
}

/// The same with permessage-deflate: compressed messages take the copying
/// path inside `receive_in_place`.
#[test]
fn python_client_viper_in_place_server_deflate() {
    python_client_against_viper_server(true, true);
}

fn viper_client_against_python_server(deflate: bool) {
    let Some(py) = require_python_websockets() else {
        return;
    };
    let mut child = Command::new(&py)
        .args(["-c", PY_SERVER, if deflate { "deflate" } else { "none" }])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().expect("python server port");
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut hs = ClientHandshake::new(*b"fedcba9876543210");
    if deflate {
        hs = hs.deflate(DeflateConfig::default());
    }
    let result = (|| -> Result<(), String> {
        let (mut s, mut ws, n) = connect_client(addr, &hs, cfg())?;
        assert_eq!(n.deflate.is_some(), deflate, "{n:?}");
        for i in 0..30 {
            let t = format!("message {i} ").repeat(i * 30 + 1);
            ws.send_text(&t).map_err(|e| e.to_string())?;
            flush(&mut ws, &mut s)?;
            assert_eq!(next_message(&mut ws, &mut s)?, Event::Text(t));
        }
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
        let parts: Vec<&[u8]> = data.chunks(65_536).collect();
        for (i, p) in parts.iter().enumerate() {
            ws.send_fragment(DataKind::Binary, p, i == parts.len() - 1)
                .map_err(|e| e.to_string())?;
            if i == 10 {
                ws.send_ping(b"between fragments")
                    .map_err(|e| e.to_string())?;
            }
        }
        flush(&mut ws, &mut s)?;
        assert_eq!(next_message(&mut ws, &mut s)?, Event::Binary(data));
        ws.send_close(CloseCode::NORMAL, "done")
            .map_err(|e| e.to_string())?;
        flush(&mut ws, &mut s)?;
        let e = next_message(&mut ws, &mut s)?;
        assert!(
            matches!(
                e,
                Event::Close {
                    code: CloseCode::NORMAL,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(ws.state(), State::Closed);
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result.unwrap();
}

#[test]
fn viper_client_python_server_plain() {
    viper_client_against_python_server(false);
}

#[test]
fn viper_client_python_server_deflate() {
    viper_client_against_python_server(true);
}
