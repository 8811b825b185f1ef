//! A long permessage-deflate session with context takeover, both directions, messages
//! up to 1 MiB (most small): every message survives compression and inflation.

use viper_core::{receive_with, transmit_with};
use viper_ws::deflate::DeflateParams;
use viper_ws::{Config, Event, Negotiated, WebSocket};

fn params() -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: 15,
        client_max_window_bits: 15,
        level: 1,
        min_compress_size: 32,
    }
}

/// xorshift, for reproducible sizes and bytes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn pass(from: &mut WebSocket, to: &mut WebSocket) -> Vec<Event> {
    let mut wire = Vec::new();
    transmit_with(from, |b| {
        wire.extend_from_slice(b);
        b.len()
    });
    let mut evs = Vec::new();
    let used = receive_with(to, &wire, |_, e| evs.push(e));
    assert_eq!(used, wire.len());
    evs
}

#[test]
fn long_session_with_context_takeover_round_trips() {
    let neg = Negotiated {
        protocol: None,
        deflate: Some(params()),
    };
    let cfg = Config {
        max_message_size: 2 << 20,
        ..Config::default()
    };
    let mut server = WebSocket::server(cfg, &neg);
    let mut client = WebSocket::client(cfg, &neg, 11);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let words = ["viper ", "échange ", "数据 ", "🐍 ", "frame ", "deflate "];
    for i in 0..300 {
        let size = ((1u64 << 20) as f64 * rng.unit().powi(6)) as usize;
        let msg: Vec<u8> = if i % 2 == 0 {
            let mut s = String::new();
            while s.len() < size {
                s.push_str(words[(rng.next() % 6) as usize]);
            }
            s.into_bytes()
        } else {
            (0..size).map(|_| rng.next() as u8).collect()
        };
        client.send_binary(&msg).unwrap();
        let evs = pass(&mut client, &mut server);
        assert!(
            evs.len() == 1 && evs[0] == Event::Binary(msg.clone()),
            "client->server {i} ({size} B)"
        );
        server.send_binary(&msg).unwrap();
        let evs = pass(&mut server, &mut client);
        assert_eq!(evs.len(), 1, "server->client {i}");
        assert!(
            evs[0] == Event::Binary(msg),
            "server->client {i} ({size} B)"
        );
    }
}
