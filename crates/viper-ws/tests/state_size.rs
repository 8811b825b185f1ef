//! Connection state size, without I/O buffers, and the heap that
//! permessage-deflate adds (documented in the README).
//!
//! Heap use is measured with `viper_test_alloc::Counting`, which keeps a per-thread
//! balance, so the test harness's own threads do not disturb the figures.
use std::mem::size_of;

use viper_test_alloc::{count, live_bytes as live};
use viper_ws::deflate::{Compressor, Decompressor};
use viper_ws::{Config, Event, Negotiated, WebSocket};

mod common;

#[global_allocator]
static A: viper_test_alloc::Counting = viper_test_alloc::Counting;

/// Heap bytes still held by what `f` returns.
fn heap_of<T>(f: impl FnOnce() -> T) -> (T, isize) {
    let (v, c) = count(f);
    (v, c.live_bytes)
}

#[test]
fn connection_state_is_small() {
    let ws = size_of::<WebSocket>();
    println!("size_of::<WebSocket>() = {ws} B");
    assert!(ws <= 512, "WebSocket grew to {ws} bytes");

    // A fresh connection owns no heap at all.
    let (mut s, h) = heap_of(|| WebSocket::server(Config::default(), &Negotiated::default()));
    println!("fresh connection heap: {h} B");
    assert_eq!(h, 0);

    // Plain echo of a 1 KiB message: what stays allocated afterwards is the
    // reusable output buffer and the event queue, not per-message state.
    let before = live();
    let payload = vec![b'x'; 1024];
    s.receive(&common::cframe(0x82, &payload));
    let Some(Event::Binary(m)) = s.poll_event() else {
        panic!("expected the binary message");
    };
    s.send_binary(&m).unwrap();
    drop(m);
    let n = s.poll_transmit().unwrap().len();
    s.advance_transmit(n);
    let warm = live() - before;
    println!("plain connection after a 1 KiB echo: {warm} B heap");
    assert!(warm < 4096, "{warm}");

    // permessage-deflate state is allocated on first use, per direction.
    let (c15, h15) = heap_of(|| Compressor::new(15, 1, false));
    let (c10, h10) = heap_of(|| Compressor::new(10, 1, false));
    let (d, hd) = heap_of(|| Decompressor::new(false));
    println!("compressor (15-bit window): {h15} B; (below 15 bits): {h10} B; decompressor: {hd} B");
    assert!(hd > 0 && hd < 64 * 1024, "{hd}");
    assert!(h15 > 0 && h15 < 512 * 1024, "{h15}");
    drop((c15, c10, d));

    let n = common::deflate_neg(common::params());
    let (mut c, h) = heap_of(|| WebSocket::client(Config::default(), &n, 1));
    assert_eq!(h, 0, "deflate state is lazy");
    let before = live();
    c.send_text(&"compress me ".repeat(100)).unwrap();
    let mut wire = Vec::new();
    c.transmit_into(&mut wire);
    let used = live() - before - wire.capacity() as isize;
    println!("deflate client after its first compressed message: {used} B heap");
    assert!(used >= h15, "compressor allocated on first send");
}
