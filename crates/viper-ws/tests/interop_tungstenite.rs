//! Interop on loopback with `tungstenite` (no permessage-deflate support in
//! tungstenite 0.30): as a client against a viper-ws server, and as a server
//! against a viper-ws client. Large fragmented messages both ways.
mod common;
use common::net::*;
use std::net::{TcpListener, TcpStream};
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::Message;
use viper_ws::handshake::{ClientHandshake, ServerConfig};
use viper_ws::{CloseCode, Config, DataKind, Event, State};

fn big(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

/// Sends `data` as one binary message in fragments of `chunk` bytes, writing the
/// ping `ping_after(i)` returns after fragment `i`, then flushes.
fn send_fragmented<S: std::io::Read + std::io::Write>(
    ws: &mut tungstenite::WebSocket<S>,
    data: &[u8],
    chunk: usize,
    ping_after: impl Fn(usize) -> Option<Vec<u8>>,
) {
    let parts: Vec<&[u8]> = data.chunks(chunk).collect();
    for (i, p) in parts.iter().enumerate() {
        let op = if i == 0 {
            OpCode::Data(Data::Binary)
        } else {
            OpCode::Data(Data::Continue)
        };
        ws.write(Message::Frame(Frame::message(
            p.to_vec(),
            op,
            i == parts.len() - 1,
        )))
        .unwrap();
        if let Some(ping) = ping_after(i) {
            ws.write(Message::Ping(ping.into())).unwrap();
        }
    }
    ws.flush().unwrap();
}

fn cfg() -> Config {
    Config {
        max_frame_size: 8 << 20,
        max_message_size: 8 << 20,
        ..Config::default()
    }
}

#[test]
fn tungstenite_client_against_viper_server() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = spawn_echo_server(
        l,
        ServerConfig {
            protocols: vec!["echo".into()],
            deflate: None,
        },
        cfg(),
    );
    let s = TcpStream::connect(addr).unwrap();
    set_timeouts(&s);
    let req = tungstenite::ClientRequestBuilder::new(format!("ws://{addr}/").parse().unwrap())
        .with_sub_protocol("echo");
    let (mut ws, resp) = tungstenite::client::client(req, s).unwrap();
    assert_eq!(resp.status(), 101);
    assert_eq!(
        resp.headers().get("sec-websocket-protocol").unwrap(),
        "echo"
    );
    for i in 0..20 {
        let t = format!("héllo {i} {}", "κόσμε".repeat(i * 10));
        ws.send(Message::text(t.clone())).unwrap();
        assert_eq!(ws.read().unwrap(), Message::text(t));
    }
    ws.send(Message::binary(big(100_000))).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(big(100_000)));
    // A 3 MiB message in 48 fragments of 64 KiB, pings in between.
    let data = big(3 << 20);
    send_fragmented(&mut ws, &data, 65_536, |i| {
        (i % 16 == 5).then(|| vec![i as u8])
    });
    loop {
        match ws.read().unwrap() {
            Message::Pong(_) => continue,
            m => {
                assert_eq!(m, Message::binary(data));
                break;
            }
        }
    }
    ws.close(None).unwrap();
    loop {
        match ws.read() {
            Ok(Message::Close(c)) => {
                assert!(c.is_none());
            }
            Ok(_) => {}
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(server.join().unwrap().unwrap(), None);
}

#[test]
fn viper_client_against_tungstenite_server() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        set_timeouts(&s);
        let mut ws = tungstenite::accept(s).unwrap();
        loop {
            match ws.read() {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => ws.send(m).unwrap(),
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed) => return Ok::<_, String>(()),
                Err(e) => return Err(e.to_string()),
            }
        }
    });
    let hs = ClientHandshake::new(*b"0123456789abcdef");
    let (mut s, mut ws, n) = connect_client(addr, &hs, cfg()).unwrap();
    assert_eq!(n, viper_ws::Negotiated::default());
    for i in 0..20 {
        let t = format!("message {i} {}", "€".repeat(i * 7));
        ws.send_text(&t).unwrap();
        flush(&mut ws, &mut s).unwrap();
        assert_eq!(next_message(&mut ws, &mut s).unwrap(), Event::Text(t));
    }
    let data = big(2 << 20);
    for (i, p) in data.chunks(100_000).enumerate() {
        ws.send_fragment(DataKind::Binary, p, (i + 1) * 100_000 >= data.len())
            .unwrap();
        if i == 3 {
            ws.send_ping(b"keepalive").unwrap();
        }
    }
    flush(&mut ws, &mut s).unwrap();
    assert_eq!(next_message(&mut ws, &mut s).unwrap(), Event::Binary(data));
    ws.send_close(CloseCode::NORMAL, "bye").unwrap();
    flush(&mut ws, &mut s).unwrap();
    let e = next_message(&mut ws, &mut s).unwrap();
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
    drop(s);
    server.join().unwrap().unwrap();
}

/// A viper-ws server willing to use permessage-deflate talks plainly to
/// tungstenite (which does not offer it), and echoes the close code and
/// reason tungstenite sends.
#[test]
fn tungstenite_client_against_deflate_capable_viper_server_close_code_echoed() {
    use tungstenite::protocol::frame::coding::CloseCode as TCode;
    use tungstenite::protocol::CloseFrame;
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = spawn_echo_server(
        l,
        ServerConfig {
            protocols: vec![],
            deflate: Some(viper_ws::deflate::DeflateConfig::default()),
        },
        cfg(),
    );
    let s = TcpStream::connect(addr).unwrap();
    set_timeouts(&s);
    let (mut ws, resp) = tungstenite::client::client(format!("ws://{addr}/"), s).unwrap();
    assert!(resp.headers().get("sec-websocket-extensions").is_none());
    let t = "compressible ".repeat(1000);
    ws.send(Message::text(t.clone())).unwrap();
    assert_eq!(ws.read().unwrap(), Message::text(t));
    ws.close(Some(CloseFrame {
        code: TCode::Library(4001),
        reason: "done here".into(),
    }))
    .unwrap();
    let mut echoed = None;
    loop {
        match ws.read() {
            Ok(Message::Close(c)) => echoed = c.map(|c| u16::from(c.code)),
            Ok(_) => {}
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(echoed, Some(4001));
    assert_eq!(server.join().unwrap().unwrap(), None);
}

/// The zero-copy receive path over a real socket: a viper-ws server reading
/// with `receive_in_place` into a 64 KiB buffer and echoing borrowed messages
/// straight from it. Small messages arrive whole and come out borrowed;
/// large ones, fragmented ones and the pings between them take the copying
/// path; all echoes must be exact.
#[test]
fn tungstenite_client_against_viper_in_place_server() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = spawn_echo_server_in_place(l, ServerConfig::default(), cfg());
    let s = TcpStream::connect(addr).unwrap();
    set_timeouts(&s);
    let (mut ws, _) = tungstenite::client::client(format!("ws://{addr}/"), s).unwrap();
    let small = 100;
    for i in 0..small {
        let m = if i % 2 == 0 {
            Message::text(format!("{i} {}", "κόσμε ".repeat(i * 3)))
        } else {
            Message::binary(big(i * 37))
        };
        ws.send(m.clone()).unwrap();
        assert_eq!(ws.read().unwrap(), m);
    }
    // Larger than the server's read buffer: arrives in pieces.
    ws.send(Message::binary(big(300_000))).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(big(300_000)));
    // Fragmented, with a ping between fragments.
    let data = big(10_000);
    send_fragmented(&mut ws, &data, 3_000, |i| (i == 1).then(|| vec![7]));
    loop {
        match ws.read().unwrap() {
            Message::Pong(p) => assert_eq!(&p[..], &[7]),
            m => {
                assert_eq!(m, Message::binary(data));
                break;
            }
        }
    }
    ws.close(None).unwrap();
    loop {
        match ws.read() {
            Ok(_) => {}
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("{e}"),
        }
    }
    let (_, borrowed) = server.join().unwrap().unwrap();
    println!("{borrowed} of {small} small messages came out borrowed");
    // Each small message is written in one go and echoed before the next is
    // sent, so it normally arrives in one read; allow for a few split reads.
    assert!(borrowed >= small / 2, "only {borrowed} borrowed");
    assert!(
        borrowed <= small,
        "{borrowed}: a large or fragmented message came out borrowed"
    );
}
