//! The sans-IO contract's output half for HTTP/2: writing with random partial lengths
//! gives exactly the bytes writing everything gives, and `poll_transmit` shows the same
//! bytes until `advance_transmit` says they were written.

use proptest::prelude::*;
use viper_core::{receive_with, transmit_with, Instant, Transmit};
use viper_h2::{Config, Connection};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

fn frame(ty: u8, flags: u8, sid: u32, payload: &[u8]) -> Vec<u8> {
    let n = payload.len();
    let mut v = vec![(n >> 16) as u8, (n >> 8) as u8, n as u8, ty, flags];
    v.extend_from_slice(&sid.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// GET / on `streams` streams: HPACK static-table indices and one literal.
fn client_input(streams: u32) -> Vec<u8> {
    let mut v = PREFACE.to_vec();
    v.extend(frame(4, 0, 0, &[]));
    for i in 0..streams {
        let block = [0x82, 0x86, 0x84, 0x01, 0x01, b'h'];
        v.extend(frame(1, 0x5, 1 + 2 * i, &block));
    }
    v
}

fn write_in_parts<T: Transmit>(t: &mut T, sizes: &[usize], out: &mut Vec<u8>) {
    let mut i = 0;
    transmit_with(t, |b| {
        let n = sizes[i % sizes.len()].clamp(1, b.len());
        i += 1;
        out.extend_from_slice(&b[..n]);
        n
    });
}

fn run(bodies: &[Vec<u8>], sizes: &[usize]) -> Vec<u8> {
    let mut c = Connection::new(Config::default(), Instant::ZERO);
    let input = client_input(bodies.len() as u32);
    assert_eq!(receive_with(&mut c, &input, |_, _| {}), input.len());
    for (i, b) in bodies.iter().enumerate() {
        let id = 1 + 2 * i as u32;
        c.send_response(id, 200, &[], false).unwrap();
        let n = c.send_data(id, b, true).unwrap();
        assert_eq!(n, b.len());
    }
    let mut out = Vec::new();
    write_in_parts(&mut c, sizes, &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]
    #[test]
    fn partial_writes_resume_exactly(
        bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..30_000), 1..5),
        sizes in proptest::collection::vec(1usize..7000, 1..16),
    ) {
        prop_assert_eq!(run(&bodies, &[usize::MAX]), run(&bodies, &sizes));
    }
}

#[test]
fn poll_transmit_repeats_until_advanced_and_eof_ends_the_connection() {
    let mut c = Connection::new(Config::default(), Instant::ZERO);
    let input = client_input(1);
    receive_with(&mut c, &input, |_, _| {});
    let first = c.poll_transmit().unwrap().to_vec();
    assert!(!first.is_empty());
    assert_eq!(c.poll_transmit().unwrap(), &first[..]);
    c.advance_transmit(5);
    assert_eq!(&c.poll_transmit().unwrap()[..first.len() - 5], &first[5..]);
    c.receive_eof();
    let mut terminated = false;
    while let Some(ev) = c.poll_event() {
        if let viper_h2::Event::ConnectionTerminated { error_code, .. } = ev {
            assert_eq!(error_code, viper_h2::ErrorCode::NO_ERROR);
            terminated = true;
        }
    }
    assert!(terminated && c.is_closed());
}
