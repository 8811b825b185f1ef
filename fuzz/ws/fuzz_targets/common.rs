// Shared driver: a connection (with or without permessage-deflate) fed the
// fuzz input in chunks whose sizes come from the input itself; every message
// is echoed and timers are poked, so the send paths run too. Then the same
// input goes to two more connections, one through `receive` and one through
// the zero-copy `receive_in_place`, which must agree on every event, every
// byte written and every state and timer after each chunk.
use viper_core::Instant;
use viper_ws::deflate::DeflateParams;
use viper_ws::{Config, Event, Negotiated, Role, WebSocket};

pub fn drive(role: Role, data: &[u8]) {
    echo(role, data);
    differential(role, data);
}

/// Connection parameters and chunk size chosen by the first two input bytes.
fn setup(data: &[u8]) -> Option<(Negotiated, Config, usize, &[u8])> {
    if data.len() < 2 {
        return None;
    }
    let flags = data[0];
    let step = usize::from(data[1]) + 1;
    let body = &data[2..];
    let negotiated = Negotiated {
        protocol: None,
        deflate: (flags & 1 != 0).then_some(DeflateParams {
            server_no_context_takeover: flags & 2 != 0,
            client_no_context_takeover: flags & 4 != 0,
            server_max_window_bits: if flags & 8 != 0 { 10 } else { 15 },
            client_max_window_bits: 15,
            level: 1,
            min_compress_size: 0,
        }),
    };
    let cfg = Config {
        max_frame_size: 1 << 16,
        max_message_size: 1 << 17,
        max_queued_events: 4,
        max_pending_output: 1 << 18,
        ping_interval: (flags & 16 != 0).then(|| viper_core::Duration::from_millis(5)),
        auto_pong: flags & 32 == 0,
        ..Config::default()
    };
    Some((negotiated, cfg, step, body))
}

fn echo(role: Role, data: &[u8]) {
    let Some((negotiated, cfg, step, body)) = setup(data) else {
        return;
    };
    let mut ws = WebSocket::with_received(role, cfg, &negotiated, 7, &[]);
    let mut now = 0u64;
    for chunk in body.chunks(step) {
        let mut rest = chunk;
        loop {
            let n = ws.receive(rest);
            assert!(n <= rest.len());
            rest = &rest[n..];
            while let Some(e) = ws.poll_event() {
                match e {
                    Event::Text(t) => {
                        let _ = ws.send_text(&t);
                    }
                    Event::Binary(b) => {
                        let _ = ws.send_binary(&b);
                    }
                    _ => {}
                }
            }
            if rest.is_empty() {
                break;
            }
        }
        now += 3_000_000;
        ws.handle_timeout(Instant::from_nanos(now));
        let _ = ws.poll_timeout();
        if let Some(t) = ws.poll_transmit() {
            let n = t.len();
            ws.advance_transmit(n);
        }
    }
}

/// `receive` and `receive_in_place` on the same chunks must be
/// indistinguishable, apart from the copy.
fn differential(role: Role, data: &[u8]) {
    let Some((negotiated, cfg, step, body)) = setup(data) else {
        return;
    };
    let mut a = WebSocket::with_received(role, cfg, &negotiated, 7, &[]);
    let mut b = WebSocket::with_received(role, cfg, &negotiated, 7, &[]);
    let mut copy = body.to_vec();
    let mut now = 0u64;
    for (chunk, chunk_b) in body.chunks(step).zip(copy.chunks_mut(step)) {
        let mut ea = Vec::new();
        let mut rest = chunk;
        loop {
            let n = a.receive(rest);
            assert!(n <= rest.len());
            rest = &rest[n..];
            ea.extend(std::iter::from_fn(|| a.poll_event()));
            if rest.is_empty() {
                break;
            }
        }
        let mut eb = Vec::new();
        let mut rest = chunk_b;
        loop {
            let len = rest.len();
            let (n, msg) = b.receive_in_place(rest);
            assert!(n <= len);
            if let Some(m) = msg {
                eb.push(m.to_event());
                assert!(
                    b.poll_event().is_none(),
                    "event queued behind a borrowed message"
                );
            }
            eb.extend(std::iter::from_fn(|| b.poll_event()));
            rest = &mut rest[n..];
            if rest.is_empty() {
                break;
            }
        }
        assert_eq!(ea, eb);
        assert_eq!(a.state(), b.state());
        now += 3_000_000;
        a.handle_timeout(Instant::from_nanos(now));
        b.handle_timeout(Instant::from_nanos(now));
        assert_eq!(a.poll_timeout(), b.poll_timeout());
        let ta: Vec<Event> = std::iter::from_fn(|| a.poll_event()).collect();
        let tb: Vec<Event> = std::iter::from_fn(|| b.poll_event()).collect();
        assert_eq!(ta, tb);
        assert_eq!(a.poll_transmit(), b.poll_transmit());
        let n = a.poll_transmit().map_or(0, <[u8]>::len);
        a.advance_transmit(n);
        b.advance_transmit(n);
    }
}
