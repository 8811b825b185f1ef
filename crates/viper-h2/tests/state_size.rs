//! Per-connection and per-stream state sizes (documented in the README): the inline
//! size of `Connection` and of one stream, and the heap a connection holds when idle,
//! per open stream, and after many requests (it must return to its idle figure).
//!
//! Heap use is counted by `viper_test_alloc::Counting`, which keeps a per-thread
//! balance, so the test harness's other threads do not disturb the figures. One test
//! per binary.

use std::mem::size_of;

mod common;
use common::*;
use viper_core::Instant;
use viper_h2::frame::PREFACE;
use viper_h2::{Config, Connection, STREAM_STATE_SIZE};
use viper_test_alloc::live_bytes as live;

#[global_allocator]
static A: viper_test_alloc::Counting = viper_test_alloc::Counting;

/// Feeds `input` to the connection and drains its output and events (dropping them).
fn drive(conn: &mut Connection, mut input: &[u8]) {
    loop {
        let n = conn.receive(input);
        input = &input[n..];
        while conn.poll_event().is_some() {}
        while let Some(b) = conn.poll_transmit() {
            let n = b.len();
            conn.advance_transmit(n);
        }
        if input.is_empty() {
            break;
        }
    }
    // Let go of the last output slice.
    while let Some(b) = conn.poll_transmit() {
        let n = b.len();
        conn.advance_transmit(n);
    }
}

#[test]
fn state_sizes() {
    let conn_size = size_of::<Connection>();
    let stream = STREAM_STATE_SIZE;
    assert!(conn_size <= 1280, "Connection grew to {conn_size} bytes");
    assert!(stream <= 160, "stream state grew to {stream} bytes");

    // All client input is built before anything is measured.
    let mut client = Client::new(Config::default());
    let mut hello = PREFACE.to_vec();
    hello.extend(settings(&[]));
    hello.extend(settings_ack());
    let mut id = 1u32;
    let mut batch = |client: &mut Client| {
        let ids: Vec<u32> = (0..100).map(|i| id + 2 * i).collect();
        id += 200;
        let opens: Vec<u8> = ids.iter().flat_map(|&i| client.post(i, "/")).collect();
        let ends: Vec<u8> = ids.iter().flat_map(|&i| data(i, b"", true)).collect();
        (ids, opens, ends)
    };
    let warm = batch(&mut client);
    let measured = batch(&mut client);
    let gets: Vec<(u32, Vec<u8>)> = (0..4_000u32)
        .map(|i| {
            let sid = id + 2 * i;
            (sid, client.get(sid, "/"))
        })
        .collect();
    drop(client);

    let base = live();
    let mut conn = Connection::new(Config::default(), Instant::ZERO);
    drive(&mut conn, &hello);
    let idle = live() - base;

    let finish = |conn: &mut Connection, ids: &[u32], ends: &[u8]| {
        drive(conn, ends);
        for &i in ids {
            conn.send_response(i, 204, &[], true).unwrap();
        }
        drive(conn, &[]);
        assert_eq!(conn.open_streams(), 0);
    };
    // Warm-up: 100 streams open and finish (event queue, HPACK tables, closed-stream
    // memory reach their working size).
    drive(&mut conn, &warm.1);
    finish(&mut conn, &warm.0, &warm.2);
    let warmed = live() - base;

    // Heap per open stream: 100 request heads in, bodies still to come.
    let before = live();
    drive(&mut conn, &measured.1);
    assert_eq!(conn.open_streams(), 100);
    let per_stream = (live() - before) / 100;
    assert!(per_stream > 0 && per_stream <= 512, "{per_stream}");
    finish(&mut conn, &measured.0, &measured.2);

    // Serve 2 000 requests, then 2 000 more: the second round adds nothing.
    let serve = |conn: &mut Connection, gets: &[(u32, Vec<u8>)]| {
        for (sid, g) in gets {
            drive(conn, g);
            conn.send_response(*sid, 200, &[(b"content-type", b"text/plain")], false)
                .unwrap();
            conn.send_data(*sid, b"ok", true).unwrap();
            drive(conn, &[]);
        }
        assert_eq!(conn.open_streams(), 0);
    };
    serve(&mut conn, &gets[..2_000]);
    let round1 = live();
    serve(&mut conn, &gets[2_000..]);
    let growth = live() - round1;
    let total = live() - base;
    // Printed at the end: the test harness's output capture allocates on this thread.
    println!("size_of Connection = {conn_size} bytes, one stream = {stream} bytes");
    println!("heap of an idle connection after the handshake = {idle} bytes");
    println!("heap of a warmed idle connection = {warmed} bytes");
    println!("heap per open stream (no buffered data) = {per_stream} bytes");
    println!(
        "heap after 4 000 more requests = {total} bytes; growth over the last 2 000 = {growth}"
    );
    assert!(growth <= 0, "heap grew by {growth} bytes");
}
