//! WebSocket stress scenarios, bounded in count and time (loopback, tungstenite clients
//! on threads): clients joining one by one during a 100 ms broadcast, admission with
//! `max_connections = 2`, 50 overlapping connect/disconnect cycles, and a slow hub
//! member that is dropped without stalling the others.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use tungstenite::{Message, WebSocket};
use viper_tokio::ServerConfig;

type Ws = WebSocket<TcpStream>;

const READ_TIMEOUT: Duration = Duration::from_secs(10);

fn connect_hub(addr: SocketAddr) -> Ws {
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    tcp.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
    let (mut ws, resp) = tungstenite::client(format!("ws://{addr}/ws/hub"), tcp).unwrap();
    assert_eq!(resp.status(), 101);
    // The hub handler greets after subscribing.
    loop {
        match ws.read().expect("greeting") {
            Message::Text(t) if t.as_str() == "joined" => return ws,
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected the greeting, got {other:?}"),
        }
    }
}

/// Waits (bounded) until `f()` holds.
fn wait_until(what: &str, limit: Duration, f: impl Fn() -> bool) {
    let end = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// Closes cleanly and reads until the server's close answer (bounded by the read
/// timeout); returns the close code the server sent.
fn close_cleanly(mut ws: Ws) -> Option<u16> {
    let _ = ws.close(Some(tungstenite::protocol::CloseFrame {
        code: tungstenite::protocol::frame::coding::CloseCode::Normal,
        reason: "bye".into(),
    }));
    loop {
        match ws.read() {
            Ok(Message::Close(f)) => return f.map(|f| u16::from(f.code)),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

fn seq_of(t: &str) -> Option<u64> {
    t.strip_prefix('m')?.split(':').next()?.parse().ok()
}

/// 1 → 10 clients join one by one while the server broadcasts every 100 ms: every
/// client receives every message broadcast after it joined, in order, none twice.
#[test]
fn clients_join_one_by_one_during_broadcast_and_miss_nothing() {
    const CLIENTS: usize = 10;
    const MAX_BROADCASTS: u64 = 300; // 30 s at 100 ms: the hard bound
    let app = demo_app(64);
    let state = app.state().clone();
    let mut s = TestServer::start(app, ServerConfig::default());

    // The broadcaster: every 100 ms, logging how many members each message reached.
    let log: Arc<Mutex<Vec<(u64, usize)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = std::sync::mpsc::channel::<u64>();
    {
        let (log, stop, state) = (log.clone(), stop.clone(), state.clone());
        s.rt.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            let mut tail = None;
            for seq in 0..MAX_BROADCASTS {
                tick.tick().await;
                let n = state.hub.broadcast(&format!("m{seq}"));
                log.lock().unwrap().push((seq, n));
                if stop.load(Ordering::SeqCst) {
                    // Three more after the last client joined, then the end marker.
                    let t = tail.get_or_insert(seq + 3);
                    if seq >= *t {
                        state.hub.broadcast("end");
                        let _ = done_tx.send(seq);
                        return;
                    }
                }
            }
        });
    }

    let mut threads = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..CLIENTS {
        let first = Arc::new(AtomicU64::new(u64::MAX));
        seen.push(first.clone());
        let addr = s.addr;
        threads.push(thread::spawn(move || {
            let mut ws = connect_hub(addr);
            let mut got = Vec::new();
            loop {
                match ws.read() {
                    Ok(Message::Text(t)) if t.as_str() == "end" => break,
                    Ok(Message::Text(t)) => {
                        let seq = seq_of(t.as_str()).unwrap_or_else(|| panic!("bad {t}"));
                        if got.is_empty() {
                            first.store(seq, Ordering::SeqCst);
                        }
                        got.push(seq);
                    }
                    Ok(_) => {}
                    Err(e) => panic!("client read failed after {got:?}: {e}"),
                }
            }
            let code = close_cleanly(ws);
            (got, code)
        }));
        // One by one: the next client connects once this one is receiving.
        let f = seen.last().unwrap().clone();
        wait_until(
            "a client's first broadcast",
            Duration::from_secs(10),
            || f.load(Ordering::SeqCst) != u64::MAX,
        );
    }
    stop.store(true, Ordering::SeqCst);
    let last = done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("broadcaster finished");

    let mut received_total = 0;
    let mut firsts = Vec::new();
    for (i, t) in threads.into_iter().enumerate() {
        let (got, code) = t.join().unwrap();
        assert!(!got.is_empty(), "client {i} got nothing");
        for w in got.windows(2) {
            assert_eq!(w[1], w[0] + 1, "client {i}: gap or reorder in {got:?}");
        }
        assert_eq!(*got.last().unwrap(), last, "client {i} missed the tail");
        assert_eq!(code, Some(1000), "client {i} close answer");
        received_total += got.len();
        firsts.push(got[0]);
    }
    // Clients joined one after another, so their first messages do not go back in time.
    assert!(firsts.windows(2).all(|w| w[0] <= w[1]), "{firsts:?}");
    // Every delivery the hub counted was received: nothing lost in a queue.
    let delivered: usize = log.lock().unwrap().iter().map(|(_, n)| n).sum();
    assert_eq!(received_total, delivered);
    assert_eq!(state.hub.dropped_slow(), 0);
    s.wait_for("all sessions closed", |st| st.active() == 0);
    let st = s.stats.snapshot();
    assert_eq!(st.websocket_sessions, CLIENTS as u64);
    assert_eq!(st.connections_accepted, st.connections_closed);
    // Greeting + broadcasts + end marker, per client.
    assert_eq!(
        st.ws_messages_out,
        (received_total + 2 * CLIENTS) as u64,
        "{}",
        s.stats.to_json()
    );
    println!(
        "{CLIENTS} clients, {} broadcasts, {received_total} deliveries, none lost",
        last + 1
    );
    s.shutdown();
}

/// With `max_connections = 2`, five clients connect: three are refused with a clean
/// 503 + `Retry-After`, the two admitted keep receiving broadcasts.
#[test]
fn max_connections_two_of_five_admitted_keep_receiving() {
    let app = demo_app(64);
    let state = app.state().clone();
    let cfg = ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    };
    let mut s = TestServer::start(app, cfg);
    let mut admitted: Vec<Ws> = (0..2).map(|_| connect_hub(s.addr)).collect();
    for i in 0..3 {
        let tcp = TcpStream::connect(s.addr).unwrap();
        tcp.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        match tungstenite::client(format!("ws://{}/ws/hub", s.addr), tcp) {
            Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(resp))) => {
                assert_eq!(resp.status(), 503, "refused client {i}");
                assert_eq!(
                    resp.headers().get("retry-after").map(|v| v.as_bytes()),
                    Some(&b"1"[..])
                );
            }
            Err(e) => panic!("refused client {i}: unclean refusal {e:?}"),
            Ok(_) => panic!("client {i} beyond max_connections was admitted"),
        }
    }
    assert_eq!(s.stats.snapshot().connections_refused, 3);
    // The two admitted sessions were not disturbed: each gets every broadcast.
    for seq in 0..5u64 {
        assert_eq!(state.hub.broadcast(&format!("m{seq}")), 2);
        for ws in admitted.iter_mut() {
            match ws.read().unwrap() {
                Message::Text(t) => assert_eq!(seq_of(t.as_str()), Some(seq)),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    for ws in admitted {
        assert_eq!(close_cleanly(ws), Some(1000));
    }
    s.wait_for("sessions closed", |st| st.active() == 0);
    let st = s.stats.snapshot();
    assert_eq!(
        (st.connections_accepted, st.connections_refused),
        (2, 3),
        "{}",
        s.stats.to_json()
    );
    assert_eq!(st.connections_closed, 2);
    s.shutdown();
}

enum Open {
    Ws(Box<Ws>),
    Tcp(TcpStream),
}

/// 50 overlapping connect/disconnect cycles, ending every way a client can (clean
/// WebSocket close, WebSocket dropped without a close frame, keep-alive HTTP/1.1
/// dropped, half a request dropped, a silent connection dropped, an SSE stream
/// dropped mid-stream): no ghost connection stays in the statistics or in the hub.
#[test]
fn fifty_overlapping_connect_disconnect_cycles_leave_no_ghosts() {
    const CYCLES: usize = 50;
    const WINDOW: usize = 3;
    let app = demo_app(64);
    let state = app.state().clone();
    let mut s = TestServer::start(app, ServerConfig::default());
    let mut open: std::collections::VecDeque<Open> = Default::default();
    let mut clean_closes = 0;
    for i in 0..CYCLES {
        let c = match i % 6 {
            0 | 1 => Open::Ws(Box::new(connect_hub(s.addr))),
            2 => {
                let mut t = TcpStream::connect(s.addr).unwrap();
                t.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
                t.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                    .unwrap();
                let mut buf = [0u8; 256];
                let n = t.read(&mut buf).unwrap();
                assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
                Open::Tcp(t)
            }
            3 => {
                let mut t = TcpStream::connect(s.addr).unwrap();
                t.write_all(b"GET /hello HTTP/1.1\r\nHo").unwrap();
                Open::Tcp(t)
            }
            4 => Open::Tcp(TcpStream::connect(s.addr).unwrap()),
            _ => {
                let mut t = TcpStream::connect(s.addr).unwrap();
                t.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
                t.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
                    .unwrap();
                let mut buf = [0u8; 256];
                let n = t.read(&mut buf).unwrap();
                assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
                Open::Tcp(t)
            }
        };
        open.push_back(c);
        // Overlap: up to WINDOW connections live at once; the oldest goes.
        if open.len() > WINDOW {
            match open.pop_front().unwrap() {
                Open::Ws(ws) if i % 2 == 0 => {
                    assert_eq!(close_cleanly(*ws), Some(1000));
                    clean_closes += 1;
                }
                Open::Ws(ws) => drop(ws), // no close frame: the TCP connection just ends
                Open::Tcp(t) => drop(t),
            }
        }
        state.hub.broadcast(&format!("m{i}"));
    }
    for c in open {
        drop(c);
    }
    s.wait_for("every connection closed", |st| st.active() == 0);
    let end = Instant::now() + Duration::from_secs(10);
    while !state.hub.is_empty() {
        assert!(
            Instant::now() < end,
            "hub members left: {}",
            state.hub.len()
        );
        thread::sleep(Duration::from_millis(10));
    }
    let st = s.stats.snapshot();
    assert_eq!(
        st.connections_accepted,
        CYCLES as u64,
        "{}",
        s.stats.to_json()
    );
    assert_eq!(
        st.connections_closed,
        st.connections_accepted,
        "ghost connections: {}",
        s.stats.to_json()
    );
    assert_eq!(st.connections_refused, 0);
    assert!(clean_closes > 0);
    assert_eq!(s.stats.active(), 0);
    s.shutdown();
}

/// A hub member that stops reading is dropped (close 1013) once its bounded queue
/// overflows, while the others receive every message without waiting for it.
#[test]
fn slow_hub_client_is_dropped_with_1013_without_stalling_others() {
    const QUEUE: usize = 4;
    const MAX_MESSAGES: u64 = 400; // bound; the drop happens after roughly 50
    const SIZE: usize = 256 * 1024;
    let app = demo_app(QUEUE);
    let state = app.state().clone();
    let mut s = TestServer::start(app, ServerConfig::default());

    let slow = connect_hub(s.addr);
    let progress: Vec<Arc<AtomicU64>> = (0..2).map(|_| Arc::new(AtomicU64::new(0))).collect();
    let fast: Vec<_> = progress
        .iter()
        .map(|p| {
            let ws = connect_hub(s.addr);
            let p = p.clone();
            thread::spawn(move || {
                let mut ws = ws;
                let mut expect = 0u64;
                loop {
                    match ws.read() {
                        Ok(Message::Text(t)) if t.as_str() == "end" => break,
                        Ok(Message::Text(t)) => {
                            assert_eq!(seq_of(t.as_str()), Some(expect), "fast client order");
                            assert_eq!(t.as_str().len(), SIZE);
                            expect += 1;
                            p.store(expect, Ordering::SeqCst);
                        }
                        Ok(_) => {}
                        Err(e) => panic!("fast client failed at {expect}: {e}"),
                    }
                }
                close_cleanly(ws);
                expect
            })
        })
        .collect();

    let msg = |seq: u64| {
        let mut m = format!("m{seq}:");
        m.extend(std::iter::repeat_n('x', SIZE - m.len()));
        m
    };
    // Pace on the fast clients only: message k goes out once both received k - 1.
    // The slow client reads nothing, so only its queue and buffers fill.
    let mut sent = 0u64;
    let mut dropped_at = None;
    while sent < MAX_MESSAGES {
        let n = state.hub.broadcast(&msg(sent));
        sent += 1;
        let p = progress.clone();
        wait_until("fast clients keep up", Duration::from_secs(10), || {
            p.iter().all(|c| c.load(Ordering::SeqCst) >= sent)
        });
        if state.hub.dropped_slow() > 0 && dropped_at.is_none() {
            dropped_at = Some(sent);
            assert_eq!(n, 2, "the slow member was the one dropped");
        }
        if dropped_at.is_some_and(|d| sent >= d + 3) {
            break;
        }
    }
    let dropped_at = dropped_at.expect("the slow client was never dropped");
    assert_eq!(state.hub.dropped_slow(), 1);
    assert_eq!(state.hub.broadcast("end"), 2);
    for f in fast {
        assert_eq!(f.join().unwrap(), sent, "fast clients got every message");
    }

    // The slow client now reads: a prefix of the messages in order, then close 1013.
    let mut slow = slow;
    let mut got = 0u64;
    let code = loop {
        match slow.read() {
            Ok(Message::Text(t)) => {
                assert_eq!(seq_of(t.as_str()), Some(got));
                got += 1;
            }
            Ok(Message::Close(f)) => break f.map(|f| u16::from(f.code)),
            Ok(_) => {}
            Err(e) => panic!("slow client read failed after {got}: {e}"),
        }
    };
    assert!(
        code == Some(1013) || code == Some(1008),
        "close code {code:?}"
    );
    assert!(got < dropped_at, "slow client got {got} of {dropped_at}");
    let _ = slow.close(None);
    let _ = slow.flush();
    drop(slow);
    s.wait_for("sessions closed", |st| st.active() == 0);
    println!(
        "slow client dropped after {dropped_at} messages of {SIZE} bytes (it had read {got}); fast clients got all {sent}"
    );
    s.shutdown();
}

async fn slow_sse(_r: viper_tokio::Request, _s: Arc<DemoState>) -> viper_tokio::Response {
    viper_tokio::Response::sse(|tx| async move {
        for n in 0..2 {
            if tx
                .send(viper_tokio::SseMessage::data(format!("s{n}")))
                .await
                .is_err()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
    })
}

/// With a 300 ms keep-alive idle timeout, an idle HTTP/1.1 connection is purged, but a
/// WebSocket session and an SSE stream that stay quiet for five times as long are not.
#[test]
fn idle_purge_spares_live_websocket_and_sse() {
    let mut core = viper_server::Config::default();
    core.h1.idle_timeout = Some(viper_server::Duration::from_millis(300));
    core.sse_heartbeat = None; // the SSE stream stays silent between its events
    let cfg = ServerConfig {
        core,
        ..ServerConfig::default()
    };
    let mut s = TestServer::start(demo_app(64).get("/slow-sse", slow_sse), cfg);

    let tcp = TcpStream::connect(s.addr).unwrap();
    tcp.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://{}/ws/echo", s.addr), tcp).unwrap();

    let mut sse = TcpStream::connect(s.addr).unwrap();
    sse.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    sse.write_all(b"GET /slow-sse HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&got).contains("data: s0") {
        let n = sse.read(&mut buf).unwrap();
        assert!(n > 0, "SSE closed early");
        got.extend_from_slice(&buf[..n]);
    }

    let mut idle = TcpStream::connect(s.addr).unwrap();
    idle.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    idle.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let n = idle.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // The idle keep-alive connection is closed by the server (EOF within the bound).
    let mut rest = Vec::new();
    assert_eq!(idle.read_to_end(&mut rest).unwrap(), 0);
    assert!(rest.is_empty());

    // The SSE stream's next event comes 1.5 s after the first: it was not purged.
    while !String::from_utf8_lossy(&got).contains("data: s1") {
        let n = sse.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "SSE stream purged: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    // The WebSocket, silent all along, still echoes.
    ws.send(Message::text("still here")).unwrap();
    match ws.read().unwrap() {
        Message::Text(t) => assert_eq!(t.as_str(), "still here"),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(close_cleanly(ws), Some(1000));
    let st = s.stats.snapshot();
    assert!(st.closed_timeout >= 1, "{}", s.stats.to_json());
    drop(sse);
    s.wait_for("connections closed", |st| st.active() == 0);
    s.shutdown();
}
