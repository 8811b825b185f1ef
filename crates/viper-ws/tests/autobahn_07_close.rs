//! Autobahn group 7 (close handling); RFC 6455 §5.5.1, §7.
mod common;
use common::*;
use viper_core::{Duration, Instant};
use viper_ws::{CloseCode, Config, Error, Event, SendError, State};

/// 7.1.1: a message, then a normal close: echo then close 1000 echoed.
#[test]
fn g7_1_normal_close_is_echoed() {
    let mut s = server();
    let mut input = cframe(0x81, b"Hello World!");
    input.extend(cframe(0x88, &1000u16.to_be_bytes()));
    let (evs, o) = echo(&mut s, &input);
    assert_eq!(
        evs,
        vec![
            Event::Text("Hello World!".into()),
            Event::Close {
                code: CloseCode::NORMAL,
                reason: String::new()
            }
        ]
    );
    let mut expect = sframe(0x81, b"Hello World!");
    expect.extend(close_bytes(1000));
    assert_eq!(o, expect);
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.send_text("late"), Err(SendError::Closed));
}

/// 7.1.2–7.1.4: anything after the peer's close is ignored.
#[test]
fn g7_1_frames_after_close_are_ignored() {
    let mut s = server();
    let mut input = cframe(0x88, &1000u16.to_be_bytes());
    input.extend(cframe(0x88, &1000u16.to_be_bytes()));
    input.extend(cframe(0x89, b""));
    input.extend(cframe(0x81, b"text"));
    let (evs, o) = echo(&mut s, &input);
    assert_eq!(evs.len(), 1);
    assert_eq!(o, close_bytes(1000));
}

/// 7.1.6: a 256 KiB message, then close, then a ping: the message is echoed,
/// the close is echoed, the ping after the close gets no pong.
#[test]
fn g7_1_6_large_message_then_close_then_ping() {
    let msg: String = (0..256 * 1024)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let mut input = cframe(0x81, msg.as_bytes());
    input.extend(cframe(0x88, &1000u16.to_be_bytes()));
    input.extend(cframe(0x89, b"Hello World!"));
    let mut s = server();
    let (evs, o) = echo(&mut s, &input);
    assert_eq!(
        evs,
        vec![
            Event::Text(msg.clone()),
            Event::Close {
                code: CloseCode::NORMAL,
                reason: String::new()
            }
        ]
    );
    let mut expect = sframe(0x81, msg.as_bytes());
    expect.extend(close_bytes(1000));
    assert_eq!(o, expect);
}

/// 7.1.5/7.1.6: after we send close, data from the peer is dropped until its
/// close arrives; a fragmented message in flight is discarded too.
#[test]
fn g7_1_closing_state_drops_data() {
    let mut s = server();
    assert!(feed(&mut s, &cframe(0x01, b"fragment1")).is_empty());
    s.send_close(CloseCode::GOING_AWAY, "bye").unwrap();
    assert_eq!(s.state(), State::Closing);
    let mut expect = vec![0x88, 5, 0x03, 0xe9];
    expect.extend_from_slice(b"bye");
    assert_eq!(out(&mut s), expect);
    let mut input = cframe(0x80, b"fragment2");
    input.extend(cframe(0x81, b"dropped"));
    input.extend(cframe(0x89, b"no pong while closing"));
    let evs = feed(&mut s, &input);
    assert_eq!(evs, vec![Event::Ping(b"no pong while closing".to_vec())]);
    assert!(out(&mut s).is_empty());
    assert_eq!(s.send_binary(b"x"), Err(SendError::Closed));
    let evs = feed(&mut s, &cframe(0x88, &1001u16.to_be_bytes()));
    assert_eq!(
        evs,
        vec![Event::Close {
            code: CloseCode::GOING_AWAY,
            reason: String::new()
        }]
    );
    assert!(out(&mut s).is_empty(), "no second close frame");
    assert_eq!(s.state(), State::Closed);
}

/// 7.3.1: empty close payload → echoed empty, reported as 1005.
/// 7.3.2: one-byte payload → 1002. 7.3.3–7.3.5: code with reasons, 123-byte reason.
/// 7.3.6: 124-byte reason → control frame over 125 → 1002.
#[test]
fn g7_3_close_payloads() {
    let mut s = server();
    assert_eq!(
        feed(&mut s, &cframe(0x88, b"")),
        vec![Event::Close {
            code: CloseCode::NO_STATUS,
            reason: String::new()
        }]
    );
    assert_eq!(out(&mut s), [0x88, 0x00]);
    let mut s = server();
    assert_eq!(
        feed(&mut s, &cframe(0x88, b"\x03")),
        vec![Event::Error(Error::InvalidClosePayload)]
    );
    assert_eq!(out(&mut s), close_bytes(1002));
    for reason in ["Hello World!", &"*".repeat(123)] {
        let mut s = server();
        let mut p = 1000u16.to_be_bytes().to_vec();
        p.extend_from_slice(reason.as_bytes());
        assert_eq!(
            feed(&mut s, &cframe(0x88, &p)),
            vec![Event::Close {
                code: CloseCode::NORMAL,
                reason: reason.into()
            }]
        );
        assert_eq!(out(&mut s), close_bytes(1000));
    }
    let mut s = server();
    let mut p = 1000u16.to_be_bytes().to_vec();
    p.extend_from_slice("*".repeat(124).as_bytes());
    assert_eq!(
        feed(&mut s, &cframe(0x88, &p)),
        vec![Event::Error(Error::ControlFrameTooLong)]
    );
    assert_eq!(out(&mut s), close_bytes(1002));
}

/// 7.7.x: valid codes are echoed.
#[test]
fn g7_7_valid_close_codes() {
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
        4000, 4999,
    ] {
        let mut s = server();
        let evs = feed(&mut s, &cframe(0x88, &code.to_be_bytes()));
        assert_eq!(
            evs,
            vec![Event::Close {
                code: CloseCode(code),
                reason: String::new()
            }]
        );
        assert_eq!(out(&mut s), close_bytes(code));
    }
}

/// 7.9.x: invalid codes fail with 1002 (1005/1006/1015 never on the wire).
#[test]
fn g7_9_invalid_close_codes() {
    for code in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        let mut s = server();
        let evs = feed(&mut s, &cframe(0x88, &code.to_be_bytes()));
        assert_eq!(evs, vec![Event::Error(Error::InvalidCloseCode(code))]);
        assert_eq!(out(&mut s), close_bytes(1002));
    }
}

#[test]
fn we_refuse_to_send_invalid_codes_and_long_reasons() {
    let mut s = server();
    for code in [1005u16, 1006, 1015, 1004, 2000, 5000] {
        assert_eq!(
            s.send_close(CloseCode(code), ""),
            Err(SendError::InvalidCloseCode)
        );
    }
    assert_eq!(
        s.send_close(CloseCode::NORMAL, &"x".repeat(124)),
        Err(SendError::ControlTooLong)
    );
    assert_eq!(s.send_ping(&[0; 126]), Err(SendError::ControlTooLong));
    assert!(out(&mut s).is_empty());
    s.send_close(CloseCode(4000), &"x".repeat(123)).unwrap();
    assert_eq!(s.send_close(CloseCode::NORMAL, ""), Err(SendError::Closed));
}

#[test]
fn close_timeout_ends_the_closing_state() {
    let cfg = Config {
        close_timeout: Duration::from_secs(2),
        ..Config::default()
    };
    let mut s = server_with(cfg);
    s.handle_timeout(Instant::from_millis(5_000));
    s.send_close(CloseCode::NORMAL, "").unwrap();
    // The timer starts at the next handle_timeout, reported as due now.
    assert_eq!(s.poll_timeout(), Some(Instant::from_millis(5_000)));
    s.handle_timeout(Instant::from_millis(5_100));
    assert_eq!(s.poll_timeout(), Some(Instant::from_millis(7_100)));
    s.handle_timeout(Instant::from_millis(7_099));
    assert_eq!(s.poll_event(), None);
    s.handle_timeout(Instant::from_millis(7_100));
    assert_eq!(s.poll_event(), Some(Event::Error(Error::CloseTimeout)));
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.poll_timeout(), None);
}

/// A client waits for the server's close answer like a server does.
#[test]
fn client_close_handshake() {
    let mut c = client();
    c.send_close(CloseCode::NORMAL, "done").unwrap();
    let o = out(&mut c);
    assert_eq!(&o[..2], &[0x88, 0x86]);
    let evs = feed(&mut c, &sframe(0x88, &1000u16.to_be_bytes()));
    assert_eq!(
        evs,
        vec![Event::Close {
            code: CloseCode::NORMAL,
            reason: String::new()
        }]
    );
    assert_eq!(c.state(), State::Closed);
}
