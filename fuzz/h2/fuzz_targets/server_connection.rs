#![no_main]
//! A server connection fed arbitrary bytes after a valid preface and SETTINGS, in
//! chunks chosen by the input; the application answers every request. No panic, and
//! state and output stay bounded.
use libfuzzer_sys::fuzz_target;
use viper_core::Instant;
use viper_h2::{Config, Connection, Event};

fuzz_target!(|data: &[u8]| {
    let mut c = Connection::new(Config::default(), Instant::ZERO);
    let mut pre = viper_h2::frame::PREFACE.to_vec();
    pre.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    assert_eq!(c.receive(&pre), pre.len());
    let (split, body) = match data.split_first() {
        Some((s, b)) => (usize::from(*s).max(1), b),
        None => return,
    };
    let mut t = 0u64;
    for chunk in body.chunks(split * 7) {
        let mut rest = chunk;
        let mut spins = 0;
        while !rest.is_empty() && spins < 64 {
            let n = c.receive(rest);
            rest = &rest[n..];
            spins += 1;
            while let Some(ev) = c.poll_event() {
                if let Event::Request { stream_id, .. } = ev {
                    if c.send_response(stream_id, 200, &[(b"x", b"y")], false).is_ok() {
                        let _ = c.send_data(stream_id, &[0u8; 3000], true);
                    }
                }
            }
            let mut out = 0;
            while let Some(b) = c.poll_transmit() {
                // Partial writes exercise resumption.
                let n = b.len().div_ceil(2);
                c.advance_transmit(n);
                out += n;
                assert!(out < 8 << 20);
            }
        }
        t += 1_000;
        c.handle_timeout(Instant::from_millis(t));
        assert!(c.open_streams() <= 100);
        assert!(c.buffered_send_bytes() <= 1 << 20);
        assert!(c.remembered_closed_streams() <= 128);
    }
});
