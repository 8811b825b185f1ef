//! Client role: one request sent, arbitrary bytes parsed as its response(s).
#![no_main]
use libfuzzer_sys::fuzz_target;
use viper_h1::{Config, Connection, Event, Instant};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, data)) = data.split_first() else {
        return;
    };
    let step = usize::from(flags >> 2) + 1;
    let method = match flags & 3 {
        0 => "GET",
        1 => "HEAD",
        2 => "CONNECT",
        _ => "POST",
    };
    let target = if method == "CONNECT" { "example.com:443" } else { "/" };
    let cfg = Config {
        max_head_size: 512,
        max_buffered_input: 1024,
        max_body_size: 4096,
        ..Config::default()
    };
    let mut conn = Connection::client(cfg, Instant::ZERO);
    conn.send_request(method, target, &[("host", "example.com")])
        .unwrap();
    conn.finish().unwrap();
    let mut rest = data;
    loop {
        let take = rest.len().min(step);
        let used = conn.receive(&rest[..take]);
        rest = &rest[used..];
        let mut progressed = used > 0;
        while let Some(ev) = conn.poll_event() {
            progressed = true;
            if let Event::End { .. } = ev {
                if conn.send_request("GET", "/", &[("host", "x")]).is_ok() {
                    conn.finish().unwrap();
                }
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
});
