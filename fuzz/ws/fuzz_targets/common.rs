// Shared driver: a connection (with or without permessage-deflate) fed the
// fuzz input in chunks whose sizes come from the input itself; every message
// is echoed and timers are poked, so the send paths run too.
use viper_core::Instant;
use viper_ws::deflate::DeflateParams;
use viper_ws::{Config, Event, Negotiated, Role, WebSocket};

pub fn drive(role: Role, data: &[u8]) {
    if data.len() < 2 {
        return;
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
        ..Config::default()
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
