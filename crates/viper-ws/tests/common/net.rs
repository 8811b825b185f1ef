//! Loopback plumbing for the interop tests: a viper-ws echo server and a
//! viper-ws client over `std::net`, every socket with timeouts.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Child;
use std::thread::JoinHandle;
use std::time::Duration;

use viper_ws::handshake::{accept, ClientHandshake, ServerConfig};
use viper_ws::{Config, Event, State, WebSocket};

pub const IO_TIMEOUT: Duration = Duration::from_secs(15);

pub fn set_timeouts(s: &TcpStream) {
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
}

/// A parsed HTTP head: first line, headers, bytes after the head.
pub struct Head {
    pub first: String,
    pub headers: Vec<(String, String)>,
    pub rest: Vec<u8>,
}

impl Head {
    pub fn pairs(&self) -> Vec<(&[u8], &[u8])> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect()
    }
}

pub fn read_head(s: &mut TcpStream) -> Result<Head, String> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        if buf.len() > 16384 {
            return Err("head too long".into());
        }
        let n = s.read(&mut tmp).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("eof in head".into());
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let text = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Head {
        first,
        headers,
        rest: buf[end + 4..].to_vec(),
    })
}

/// Writes everything the connection has queued.
pub fn flush(ws: &mut WebSocket, s: &mut TcpStream) -> Result<(), String> {
    while let Some(t) = ws.poll_transmit() {
        let n = s.write(t).map_err(|e| e.to_string())?;
        ws.advance_transmit(n);
    }
    Ok(())
}

/// Serves one connection on `listener`: handshake, then echo every message
/// until the close handshake. Returns the negotiated extension header.
pub fn spawn_echo_server(
    listener: TcpListener,
    hs: ServerConfig,
    cfg: Config,
) -> JoinHandle<Result<Option<String>, String>> {
    std::thread::spawn(move || serve_echo(listener, hs, cfg, false).map(|(ext, _)| ext))
}

/// Like [`spawn_echo_server`], but reading with `receive_in_place` into a
/// 64 KiB buffer (keeping frames cut by the end of a read for the next one,
/// as `in_place_frame_len` allows) and echoing borrowed messages straight
/// from it. Returns the extension header and how many messages came out
/// borrowed.
pub fn spawn_echo_server_in_place(
    listener: TcpListener,
    hs: ServerConfig,
    cfg: Config,
) -> JoinHandle<Result<(Option<String>, usize), String>> {
    std::thread::spawn(move || serve_echo(listener, hs, cfg, true))
}

fn echo_owned(ws: &mut WebSocket) -> Result<(), String> {
    while let Some(e) = ws.poll_event() {
        match e {
            Event::Text(t) => ws.send_text(&t).map_err(|e| e.to_string())?,
            Event::Binary(b) => ws.send_binary(&b).map_err(|e| e.to_string())?,
            Event::Error(e) => return Err(format!("server saw error {e:?}")),
            _ => {}
        }
    }
    Ok(())
}

fn serve_echo(
    listener: TcpListener,
    hs: ServerConfig,
    cfg: Config,
    in_place: bool,
) -> Result<(Option<String>, usize), String> {
    if in_place {
        let (mut s, mut ws, ext) = accept_one(&listener, &hs, cfg)?;
        let cap = 64 * 1024;
        let mut buf = vec![0u8; cap];
        let mut filled = 0;
        let mut borrowed = 0;
        loop {
            echo_owned(&mut ws)?;
            flush(&mut ws, &mut s)?;
            if ws.state() == State::Closed {
                break;
            }
            let n = s.read(&mut buf[filled..]).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("peer closed TCP before the close handshake".into());
            }
            filled += n;
            let mut start = 0;
            while start < filled {
                let rest = &mut buf[start..filled];
                // A frame cut by the end of what we read, which will come out
                // borrowed once whole: keep it and read the rest of it.
                if let Some(need) = ws.in_place_frame_len(rest) {
                    if need > rest.len() && need <= cap {
                        break;
                    }
                }
                let (used, msg) = ws.receive_in_place(rest);
                let got = msg.is_some();
                match msg {
                    Some(viper_ws::MessageRef::Text(t)) => {
                        ws.send_text(t).map_err(|e| e.to_string())?
                    }
                    Some(viper_ws::MessageRef::Binary(b)) => {
                        ws.send_binary(b).map_err(|e| e.to_string())?
                    }
                    None => {}
                }
                borrowed += usize::from(got);
                echo_owned(&mut ws)?;
                if used == 0 && !got {
                    return Err("receive_in_place made no progress".into());
                }
                start += used;
            }
            buf.copy_within(start..filled, 0);
            filled -= start;
        }
        let _ = s.shutdown(std::net::Shutdown::Both);
        return Ok((ext, borrowed));
    }
    let (mut s, mut ws, ext) = accept_one(&listener, &hs, cfg)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        echo_owned(&mut ws)?;
        flush(&mut ws, &mut s)?;
        if ws.state() == State::Closed {
            break;
        }
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("peer closed TCP before the close handshake".into());
        }
        pending.extend_from_slice(&buf[..n]);
        let used = ws.receive(&pending);
        pending.drain(..used);
    }
    // The server closes the TCP connection first (§7.1.1).
    let _ = s.shutdown(std::net::Shutdown::Both);
    Ok((ext, 0))
}

/// Accepts one connection and answers its handshake.
fn accept_one(
    listener: &TcpListener,
    hs: &ServerConfig,
    cfg: Config,
) -> Result<(TcpStream, WebSocket, Option<String>), String> {
    let (mut s, _) = listener.accept().map_err(|e| e.to_string())?;
    set_timeouts(&s);
    let head = read_head(&mut s)?;
    let mut parts = head.first.split(' ');
    let method = parts.next().unwrap_or_default().as_bytes().to_vec();
    let a = accept(&method, (1, 1), head.pairs(), hs)
        .map_err(|r| format!("rejected: {:?}", r.error))?;
    let ext = a
        .headers
        .iter()
        .find(|(n, _)| *n == "Sec-WebSocket-Extensions")
        .map(|(_, v)| v.clone());
    let mut resp = Vec::new();
    a.write_response(&mut resp);
    s.write_all(&resp).map_err(|e| e.to_string())?;
    let ws = a.into_websocket(cfg, &head.rest);
    Ok((s, ws, ext))
}

/// Connects a viper-ws client; returns the stream, the connection and the
/// negotiated parameters.
pub fn connect_client(
    addr: SocketAddr,
    hs: &ClientHandshake,
    cfg: Config,
) -> Result<(TcpStream, WebSocket, viper_ws::Negotiated), String> {
    let mut s = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| e.to_string())?;
    set_timeouts(&s);
    let mut req = Vec::new();
    hs.write_request(&addr.to_string(), "/", &mut req);
    s.write_all(&req).map_err(|e| e.to_string())?;
    let head = read_head(&mut s)?;
    let status: u16 = head
        .first
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("bad status line")?;
    let n = hs
        .validate_response(status, head.pairs())
        .map_err(|e| format!("{e:?}"))?;
    let ws = WebSocket::with_received(viper_ws::Role::Client, cfg, &n, 0xdead_beef, &head.rest);
    Ok((s, ws, n))
}

/// Reads until the next data message (answering pings) and returns it.
pub fn next_message(ws: &mut WebSocket, s: &mut TcpStream) -> Result<Event, String> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        while let Some(e) = ws.poll_event() {
            match e {
                Event::Ping(_) | Event::Pong(_) => {}
                other => {
                    flush(ws, s)?;
                    // Keep unconsumed input inside the connection.
                    let used = ws.receive(&pending);
                    pending.drain(..used);
                    assert!(pending.is_empty(), "event queue overflow in test driver");
                    return Ok(other);
                }
            }
        }
        flush(ws, s)?;
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("eof".into());
        }
        pending.extend_from_slice(&buf[..n]);
        let used = ws.receive(&pending);
        pending.drain(..used);
    }
}

/// The Python interpreter if it has `websockets`; `None` only when the peer is missing and
/// skipping is allowed (viper-test-support), otherwise a missing peer fails the test.
pub fn require_python_websockets() -> Option<std::path::PathBuf> {
    viper_test_support::python_module(&["websockets.sync.server", "websockets.sync.client"])
}

/// Waits for a child process with a deadline; kills it on timeout.
pub fn wait_child(c: Child, limit: Duration) -> Result<std::process::Output, String> {
    viper_test_support::wait_bounded(c, limit)
}
