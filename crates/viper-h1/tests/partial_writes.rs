//! The sans-IO contract's output half: writing with random partial lengths
//! (`poll_transmit` + `advance_transmit`, through the generic `viper_core` helpers)
//! gives exactly the bytes that writing everything at once gives.

use proptest::prelude::*;
use viper_core::{receive_with, transmit_with, SansIo, Transmit};
use viper_h1::{Config, Connection, Event, Instant};

/// Drains `t`, each write taking the next of `sizes` (at least one byte).
fn write_in_parts<T: Transmit>(t: &mut T, sizes: &[usize], out: &mut Vec<u8>) {
    let mut i = 0;
    transmit_with(t, |b| {
        let n = sizes
            .get(i % sizes.len().max(1))
            .copied()
            .unwrap_or(1)
            .clamp(1, b.len());
        i += 1;
        out.extend_from_slice(&b[..n]);
        n
    });
}

fn serve(bodies: &[Vec<u8>], sizes: &[usize]) -> Vec<u8> {
    let mut c = Connection::server(Config::default(), Instant::ZERO);
    let mut out = Vec::new();
    let req = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n".repeat(2);
    let mut starts = 0;
    let used = receive_with(&mut c, &req, |c, ev| {
        if let Event::Request(_) = ev {
            starts += 1;
            c.send_response(200, &[("transfer-encoding", "chunked")])
                .unwrap();
        }
        if let Event::End { .. } = ev {
            for b in bodies {
                c.send_data(b.clone()).unwrap();
                // Drain part of it between commands, as an adapter would.
                if let Some(x) = c.poll_transmit() {
                    let _ = x;
                }
            }
            c.finish().unwrap();
        }
    });
    assert_eq!(used, req.len());
    assert_eq!(starts, 2);
    write_in_parts(&mut c, sizes, &mut out);
    assert!(SansIo::poll_event(&mut c).is_none());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn partial_writes_resume_exactly(
        bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20_000), 0..6),
        sizes in proptest::collection::vec(1usize..5000, 1..20),
    ) {
        let whole = serve(&bodies, &[usize::MAX]);
        let parts = serve(&bodies, &sizes);
        prop_assert_eq!(whole, parts);
    }
}

#[test]
fn poll_transmit_repeats_until_advanced() {
    let mut c = Connection::server(Config::default(), Instant::ZERO);
    receive_with(&mut c, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", |_, _| {});
    c.send_response(200, &[("content-length", "5")]).unwrap();
    c.send_data(&b"hello"[..]).unwrap();
    c.finish().unwrap();
    let first = c.poll_transmit().unwrap().to_vec();
    assert_eq!(c.poll_transmit().unwrap(), &first[..], "same bytes again");
    c.advance_transmit(3);
    assert_eq!(c.poll_transmit().unwrap(), &first[3..]);
    // The owned form resumes where the partial write stopped too.
    let rest = c.take_transmit().unwrap();
    assert_eq!(&rest[..], &first[3..]);
}
