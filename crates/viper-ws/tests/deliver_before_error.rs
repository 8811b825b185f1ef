//! A message that arrived complete before a protocol error is delivered before the
//! connection fails (RFC 6455 §7.1.7 fails the connection from the bad frame on; what
//! came before it was valid and is the application's).

use viper_ws::{CloseCode, Config, Error, Event, Negotiated, WebSocket};

fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    let key = [9u8, 8, 7, 6];
    let mut f = vec![first, 0x80 | payload.len() as u8];
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

fn events(ws: &mut WebSocket, input: &[u8]) -> Vec<Event> {
    let mut evs = Vec::new();
    let used = viper_core::receive_with(ws, input, |_, e| evs.push(e));
    assert_eq!(used, input.len());
    evs
}

#[test]
fn text_then_bad_frame_in_one_read_delivers_the_text_first() {
    let bad: [(&str, Vec<u8>, Error); 4] = [
        (
            "reserved bits",
            masked(0x80 | 0x20 | 1, b"x"),
            Error::ReservedBits,
        ),
        (
            "reserved opcode",
            masked(0x80 | 3, b"x"),
            Error::ReservedOpcode(3),
        ),
        (
            "stray continuation",
            masked(0x80, b"x"),
            Error::UnexpectedContinuation,
        ),
        ("unmasked", b"\x81\x01x".to_vec(), Error::UnmaskedFrame),
    ];
    for (what, frame, err) in bad {
        for split in [false, true] {
            let mut ws = WebSocket::server(Config::default(), &Negotiated::default());
            let mut input = masked(0x81, b"valid text");
            input.extend(masked(0x82, &[1, 2, 3]));
            let evs = if split {
                let mut e = events(&mut ws, &input);
                e.extend(events(&mut ws, &frame));
                e
            } else {
                input.extend(&frame);
                events(&mut ws, &input)
            };
            assert_eq!(
                evs,
                vec![
                    Event::Text("valid text".into()),
                    Event::Binary(vec![1, 2, 3]),
                    Event::Error(err)
                ],
                "{what}, split={split}"
            );
            assert_eq!(err.close_code(), Some(CloseCode::PROTOCOL_ERROR));
            // The close frame with 1002 is queued.
            let out = ws.poll_transmit().unwrap();
            assert_eq!(&out[..4], b"\x88\x02\x03\xea", "{what}");
        }
    }
}
