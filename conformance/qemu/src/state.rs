//! What a connection costs on riscv32imc: `size_of` of the connection values (32-bit
//! pointers, the target's alignment) and the heap an idle connection still holds after a
//! request, for HTTP/1.1 keep-alive, HTTP/2 (one stream served) and an open WebSocket.

use alloc::vec::Vec;
use viper_core::Instant;
use viper_server::{Body, Config, Connection, Event};

/// Feeds `input`, answers every request with a 13-byte body (accepting WebSocket
/// handshakes), and writes all output away.
fn serve(c: &mut Connection, input: &[u8]) {
    let _ = c.receive(input);
    for _ in 0..100 {
        let Some(ev) = c.poll_event() else { break };
        if let Event::Request(r) = ev {
            if r.is_websocket() {
                let _ = c.accept_websocket(r.id, &[]);
            } else {
                let _ = c.send_response(
                    r.id,
                    200,
                    &[("content-type", "text/plain")],
                    Body::Full(b"Hello, world!"),
                );
            }
        }
    }
    while let Some(out) = c.poll_transmit() {
        let n = out.len();
        c.advance_transmit(n);
    }
}

/// Prints the figures; `used` reads the heap's bytes in use.
pub fn report(used: fn() -> usize) {
    let now = Instant::from_millis(1000);
    semihosting::println!(
        "state: size_of::<viper_server::Connection>() = {} bytes",
        core::mem::size_of::<Connection>()
    );
    semihosting::println!(
        "state: size_of::<viper_server::Config>()     = {} bytes",
        core::mem::size_of::<Config>()
    );

    let base = used();
    let mut c = Connection::new(Config::default(), now);
    serve(
        &mut c,
        b"GET /hello HTTP/1.1\r\nHost: esp32\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
    );
    serve(
        &mut c,
        b"GET /hello HTTP/1.1\r\nHost: esp32\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
    );
    semihosting::println!(
        "state: heap of an idle HTTP/1.1 keep-alive connection = {} bytes",
        used() - base
    );
    drop(c);

    let base = used();
    let mut c = Connection::new(Config::default(), now);
    let mut h2: Vec<u8> = Vec::new();
    h2.extend_from_slice(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    h2.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]); // SETTINGS (empty)
                                                        // HEADERS on stream 1, END_STREAM | END_HEADERS: GET http / authority "esp32".
    let block = [0x82, 0x86, 0x84, 0x41, 5, b'e', b's', b'p', b'3', b'2'];
    h2.extend_from_slice(&[0, 0, block.len() as u8, 1, 5, 0, 0, 0, 1]);
    h2.extend_from_slice(&block);
    h2.extend_from_slice(&[0, 0, 0, 4, 1, 0, 0, 0, 0]); // SETTINGS ACK
    serve(&mut c, &h2);
    semihosting::println!(
        "state: heap of an idle HTTP/2 connection after one stream = {} bytes",
        used() - base
    );
    // A second, open stream (headers only, no END_STREAM): the per-stream cost.
    let before = used();
    let _ = c.receive(&[0, 0, block.len() as u8, 1, 4, 0, 0, 0, 3]);
    let _ = c.receive(&block);
    while c.poll_event().is_some() {}
    semihosting::println!(
        "state: heap of one more open HTTP/2 stream (head delivered, no answer yet) = {} bytes",
        used() - before
    );
    drop(c);

    let base = used();
    let mut c = Connection::new(Config::default(), now);
    serve(&mut c, b"GET /ws HTTP/1.1\r\nHost: esp32\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    serve(
        &mut c,
        &[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ],
    );
    semihosting::println!(
        "state: heap of an open WebSocket session = {} bytes",
        used() - base
    );
    drop(c);
}
