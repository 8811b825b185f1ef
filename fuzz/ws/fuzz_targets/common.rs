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
    let mut all_events = Vec::new();
    let mut all_output = Vec::new();
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
        all_events.extend(ea);
        all_events.extend(ta);
        all_output.extend_from_slice(a.poll_transmit().unwrap_or_default());
        let n = a.poll_transmit().map_or(0, <[u8]>::len);
        a.advance_transmit(n);
        b.advance_transmit(n);
    }
    // Without keep-alive timers, reading at a different pace changes nothing:
    // a caller that keeps frames cut by its reads must see the same stream.
    if cfg.ping_interval.is_none() {
        let (events, output) = holding_back(role, cfg, &negotiated, body, step);
        assert_eq!(all_events, events);
        assert_eq!(all_output, output);
    }
}

/// The input through a caller that reads `step` bytes at a time into a
/// 2 KiB buffer and keeps a frame cut by a read for the next one when
/// `in_place_frame_len` says it will come out borrowed and fits.
fn holding_back(
    role: Role,
    cfg: Config,
    negotiated: &Negotiated,
    body: &[u8],
    step: usize,
) -> (Vec<Event>, Vec<u8>) {
    const CAP: usize = 2048;
    let mut c = WebSocket::with_received(role, cfg, negotiated, 7, &[]);
    let mut buf = vec![0u8; CAP];
    let (mut filled, mut p) = (0, 0);
    let mut events = Vec::new();
    let mut output = Vec::new();
    loop {
        let k = step.min(CAP - filled).min(body.len() - p);
        buf[filled..filled + k].copy_from_slice(&body[p..p + k]);
        filled += k;
        p += k;
        let mut start = 0;
        while start < filled {
            let rest = &mut buf[start..filled];
            if p < body.len() {
                if let Some(need) = c.in_place_frame_len(rest) {
                    if need > rest.len() && need <= CAP {
                        break;
                    }
                }
            }
            let len = rest.len();
            let (n, msg) = c.receive_in_place(rest);
            assert!(n <= len);
            assert!(n > 0 || msg.is_some(), "no progress");
            if let Some(m) = msg {
                events.push(m.to_event());
            }
            events.extend(std::iter::from_fn(|| c.poll_event()));
            start += n;
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
        output.extend_from_slice(c.poll_transmit().unwrap_or_default());
        let n = c.poll_transmit().map_or(0, <[u8]>::len);
        c.advance_transmit(n);
        if p == body.len() && filled == 0 {
            break;
        }
    }
    (events, output)
}
