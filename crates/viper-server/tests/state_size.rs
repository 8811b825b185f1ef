//! What an idle HTTP/1.1 keep-alive connection costs: `size_of` of the connection
//! value plus the heap it still holds once a request was answered and its output
//! written, measured with `viper_test_alloc::Counting`, whose per-thread balance sees
//! only this test's thread (everything measured runs on it), not the harness's. The
//! figures are printed and documented in the README; the bounds below catch regressions.

use viper_server::{Body, Config, Connection, Duration, Event, Instant};
use viper_test_alloc::live_bytes as live;

#[global_allocator]
static GLOBAL: viper_test_alloc::Counting = viper_test_alloc::Counting;

/// Serves one request on `c` and writes its output away (into a sink the caller owns).
fn serve_one(c: &mut Connection, req: &[u8], sink: &mut Vec<u8>) {
    assert_eq!(c.receive(req), req.len());
    let mut id = None;
    while let Some(e) = c.poll_event() {
        if let Event::Request(r) = e {
            id = Some(r.id);
        }
    }
    let id = id.expect("a request");
    c.send_response(
        id,
        200,
        &[("content-type", "text/plain")],
        Body::Full(b"Hello, world!"),
    )
    .unwrap();
    while let Some(e) = c.poll_event() {
        drop(e);
    }
    while let Some(b) = c.poll_transmit() {
        let n = b.len();
        sink.extend_from_slice(b);
        c.advance_transmit(n);
    }
}

#[test]
fn idle_keep_alive_connection_state_and_heap() {
    let req = b"GET /hello HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";
    let mut sink = Vec::with_capacity(64 * 1024);
    let config = Config::default();
    let now = Instant::ZERO + Duration::from_secs(1);

    // A freshly accepted connection (no byte yet).
    let base = live();
    let mut c = Connection::new(config.clone(), now);
    let fresh_heap = live() - base;
    assert!(c.is_idle());

    // After one request, and after 100 on the same connection: what an idle
    // keep-alive connection holds between requests.
    serve_one(&mut c, req, &mut sink);
    assert!(c.is_idle());
    let after_one = live() - base;
    for _ in 0..99 {
        sink.clear();
        serve_one(&mut c, req, &mut sink);
    }
    assert!(c.is_idle() && c.poll_timeout().is_some());
    let after_hundred = live() - base;

    drop(c);
    let leaked = live() - base;
    // Printed only now: captured test output is itself allocated.
    let inline = std::mem::size_of::<Connection>();
    println!("size_of::<viper_server::Connection>()   = {inline} bytes");
    println!(
        "  of which Config (h1 + h2 + ws limits)  = {} bytes",
        std::mem::size_of::<Config>()
    );
    println!(
        "size_of::<viper_h1::Connection>() (boxed) = {} bytes",
        std::mem::size_of::<viper_h1::Connection>()
    );
    println!("heap, fresh connection                  = {fresh_heap} bytes");
    println!("heap, idle after 1 request              = {after_one} bytes");
    println!("heap, idle after 100 requests           = {after_hundred} bytes");
    println!(
        "total idle keep-alive state             = {} bytes",
        inline as isize + after_hundred
    );
    // Regression bounds (the README has the measured figures).
    assert!(inline <= 1024, "{inline}");
    assert_eq!(fresh_heap, 0, "a fresh connection allocates nothing");
    assert!(after_one <= 4096, "{after_one}");
    assert_eq!(after_hundred, after_one, "idle state grows with requests");
    assert_eq!(leaked, 0, "dropping the connection frees everything");
}
