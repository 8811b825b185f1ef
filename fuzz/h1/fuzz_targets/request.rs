//! Server role: arbitrary bytes, fed in pieces whose sizes come from the input, with
//! the application answering every request, so pipelining and resets are exercised.
#![no_main]
use libfuzzer_sys::fuzz_target;
use viper_h1::{Config, Connection, Event, Instant};

fuzz_target!(|data: &[u8]| {
    let Some((&step, data)) = data.split_first() else {
        return;
    };
    let step = usize::from(step % 64) + 1;
    let cfg = Config {
        max_head_size: 512,
        max_buffered_input: 1024,
        max_body_size: 4096,
        ..Config::default()
    };
    let mut conn = Connection::server(cfg, Instant::ZERO);
    let mut rest = data;
    let mut rounds = 0;
    loop {
        rounds += 1;
        if rounds > 10_000 {
            panic!("no progress");
        }
        let take = rest.len().min(step);
        let used = conn.receive(&rest[..take]);
        rest = &rest[used..];
        let mut progressed = used > 0;
        while let Some(ev) = conn.poll_event() {
            progressed = true;
            match ev {
                Event::Request(_) | Event::Upgrade { .. } => {
                    let _ = conn.send_response(200, &[("content-length", "2")]);
                    let _ = conn.send_data(&b"ok"[..]);
                }
                Event::End { .. } => {
                    let _ = conn.finish();
                }
                Event::Error(e) => {
                    if let Some(s) = e.status {
                        conn.send_response(s, &[("content-length", "0")]).unwrap();
                        conn.finish().unwrap();
                    }
                }
                _ => {}
            }
        }
        // Partial writes (half of what is shown, at least one byte) exercise resumption.
        while let Some(b) = conn.poll_transmit() {
            let n = b.len().div_ceil(2);
            conn.advance_transmit(n);
        }
        if rest.is_empty() {
            conn.receive_eof();
            while conn.poll_event().is_some() {}
            break;
        }
        if !progressed || conn.is_closed() || conn.is_switched() {
            break;
        }
    }
    conn.handle_timeout(Instant::from_millis(u64::MAX / 2_000_000));
    while conn.poll_event().is_some() {}
});
