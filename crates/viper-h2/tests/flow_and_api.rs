//! Flow control (RFC 9113 §5.2, §6.9), the fair scheduler, the command API and the
//! h2c upgrade hand-off, through the public API.

mod common;
use common::*;
use viper_h2::frame::{flags, kind, setting};
use viper_h2::{Config, Connection, ErrorCode, Event, H2cUpgrade, SendError, UpgradeError};

fn open_gets(c: &mut Client, ids: &[u32]) {
    let mut b = Vec::new();
    for &id in ids {
        b.extend(c.get(id, "/"));
    }
    c.feed(&b, Split::Whole);
}

#[test]
fn scheduler_interleaves_streams_fairly() {
    let mut c = Client::handshake(Config::default());
    let mut b = window_update(0, 1 << 20);
    b.extend(settings(&[(setting::INITIAL_WINDOW_SIZE, 1 << 20)]));
    c.feed(&b, Split::Whole);
    open_gets(&mut c, &[1, 3, 5, 7]);
    for id in [1, 3, 5, 7] {
        c.conn.send_response(id, 200, &[], false).unwrap();
        assert_eq!(
            c.conn.send_data(id, &[id as u8; 40_000], true).unwrap(),
            40_000
        );
    }
    c.frames.clear();
    c.pump();
    let order: Vec<u32> = c
        .frames
        .iter()
        .filter(|f| f.is(kind::DATA))
        .map(|f| f.stream_id)
        .collect();
    assert_eq!(&order[..8], &[1, 3, 5, 7, 1, 3, 5, 7], "{order:?}");
    for id in [1, 3, 5, 7] {
        assert_eq!(c.response_body(id), vec![id as u8; 40_000]);
    }
}

#[test]
fn scheduler_respects_connection_window_and_resumes() {
    let mut c = Client::handshake(Config::default());
    open_gets(&mut c, &[1, 3]);
    for id in [1, 3] {
        c.conn.send_response(id, 200, &[], false).unwrap();
        c.conn.send_data(id, &[0u8; 50_000], true).unwrap();
    }
    c.pump();
    let sent: usize = c
        .frames
        .iter()
        .filter(|f| f.is(kind::DATA))
        .map(|f| f.payload.len())
        .sum();
    assert_eq!(sent, 65_535, "connection window");
    assert_eq!(c.conn.connection_send_window(), 0);
    c.feed(&window_update(0, 100_000), Split::Whole);
    // Streams have 65 535 each: 15 535 + 15 535 more fit.
    let sent: usize = c
        .frames
        .iter()
        .filter(|f| f.is(kind::DATA))
        .map(|f| f.payload.len())
        .sum();
    assert_eq!(sent, 100_000, "both bodies complete once the window allows");
}

/// Both windows exhausted: the stream resumes whichever WINDOW_UPDATE (its own or the
/// connection's) arrives first, once both allow.
#[test]
fn stream_and_connection_windows_reopen_in_either_order() {
    for stream_first in [true, false] {
        for split in SPLITS {
            let mut c = Client::handshake(Config::default());
            open_gets(&mut c, &[1]);
            c.conn.send_response(1, 200, &[], false).unwrap();
            assert_eq!(c.conn.send_data(1, &[9u8; 60_000], false).unwrap(), 60_000);
            c.pump();
            assert_eq!(c.conn.send_data(1, &[9u8; 40_000], true).unwrap(), 40_000);
            c.pump();
            assert_eq!(c.response_body(1).len(), 65_535);
            assert_eq!(c.conn.connection_send_window(), 0);
            assert_eq!(c.conn.stream_send_window(1), Some(0));
            let (a, b) = if stream_first { (1, 0) } else { (0, 1) };
            c.feed(&window_update(a, 50_000), split);
            assert_eq!(c.response_body(1).len(), 65_535, "one window is still shut");
            c.feed(&window_update(b, 50_000), split);
            assert_eq!(
                c.response_body(1).len(),
                100_000,
                "{stream_first} {split:?}"
            );
            assert!(c.last_data_ends_stream());
        }
    }
}

#[test]
fn rfc9218_urgency_orders_streams() {
    let mut c = Client::handshake(Config::default());
    let mut b = window_update(0, 1 << 20);
    b.extend(c.headers(
        1,
        &[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            ("priority", "u=6"),
        ],
        true,
    ));
    b.extend(c.headers(
        3,
        &[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            ("priority", "u=0"),
        ],
        true,
    ));
    c.feed(&b, Split::Whole);
    for id in [1, 3] {
        c.conn.send_response(id, 200, &[], false).unwrap();
        c.conn.send_data(id, &[0u8; 30_000], true).unwrap();
    }
    c.frames.clear();
    c.pump();
    let order: Vec<u32> = c
        .frames
        .iter()
        .filter(|f| f.is(kind::DATA))
        .map(|f| f.stream_id)
        .collect();
    assert_eq!(order, vec![3, 3, 1, 1], "urgent stream first");
}

#[test]
fn auto_release_replenishes_windows() {
    let mut c = Client::handshake(Config::default());
    let p = c.post(1, "/");
    c.feed(&p, Split::Whole);
    let mut b = Vec::new();
    for _ in 0..40 {
        b.extend(data(1, &[9u8; 16_000], false));
    }
    b.extend(data(1, b"", true));
    c.feed(&b, Split::Random(5));
    assert_eq!(c.goaway(), None);
    assert_eq!(c.rst(1), None);
    assert_eq!(c.body(1).len(), 640_000);
    let conn_updates: u32 = c
        .frames
        .iter()
        .filter(|f| f.is(kind::WINDOW_UPDATE) && f.stream_id == 0)
        .map(|f| u32::from_be_bytes(f.payload[..4].try_into().unwrap()))
        .sum();
    assert!(conn_updates >= 512 * 1024, "{conn_updates}");
    assert!(c
        .frames
        .iter()
        .any(|f| f.is(kind::WINDOW_UPDATE) && f.stream_id == 1));
}

#[test]
fn manual_release_is_backpressure() {
    let cfg = Config {
        auto_release: false,
        initial_window_size: 65_535,
        ..Config::default()
    };
    let mut c = Client::handshake(cfg);
    let p = c.post(1, "/");
    c.feed(&p, Split::Whole);
    for _ in 0..3 {
        c.feed(&data(1, &[1u8; 16_000], false), Split::Whole);
    }
    assert!(
        !c.frames.iter().any(|f| f.is(kind::WINDOW_UPDATE)),
        "nothing released yet"
    );
    let lens: Vec<u32> = c
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Data {
                flow_controlled_len,
                ..
            } => Some(*flow_controlled_len),
            _ => None,
        })
        .collect();
    assert_eq!(lens, vec![16_000, 16_000, 16_000]);
    c.conn.release_capacity(1, 48_000).unwrap();
    c.pump();
    assert!(c
        .frames
        .iter()
        .any(|f| f.is(kind::WINDOW_UPDATE) && f.stream_id == 1));
    assert_eq!(
        c.conn.release_capacity(1, 1),
        Err(SendError::TooMuchReleased)
    );
    // Unreleased data beyond the window is a flow-control error for the peer.
    c.feed(&data(1, &[1u8; 16_000], false), Split::Whole);
    c.feed(&data(1, &[1u8; 16_000], false), Split::Whole);
    c.feed(&data(1, &[1u8; 16_000], false), Split::Whole);
    c.feed(&data(1, &[1u8; 16_000], false), Split::Whole);
    c.feed(&data(1, &[1u8; 16_000], false), Split::Whole);
    assert_eq!(c.rst(1), Some(ErrorCode::FLOW_CONTROL_ERROR));
}

#[test]
fn response_with_trailers_after_data() {
    let mut c = Client::handshake(Config::default());
    open_gets(&mut c, &[1]);
    c.conn
        .send_response(1, 200, &[(b"content-type", b"text/plain")], false)
        .unwrap();
    c.conn.send_data(1, b"hello", false).unwrap();
    c.conn.send_trailers(1, &[(b"grpc-status", b"0")]).unwrap();
    c.pump();
    let k: Vec<u8> = c.frames.iter().map(|f| f.kind).collect();
    assert_eq!(k, vec![kind::HEADERS, kind::DATA, kind::HEADERS]);
    let t = &c.frames[2];
    assert!(t.end_stream());
    assert_eq!(t.headers, vec![(b"grpc-status".to_vec(), b"0".to_vec())]);
    assert!(!c.frames[1].end_stream());
    assert_eq!(c.conn.open_streams(), 0);
}

#[test]
fn informational_then_final_response_and_continuation_split() {
    let mut c = Client::handshake(Config::default());
    open_gets(&mut c, &[1]);
    c.conn
        .send_response(1, 103, &[(b"link", b"</a.css>")], false)
        .unwrap();
    let big = vec![b'x'; 40_000];
    c.conn
        .send_response(1, 200, &[(b"x-big", &big)], true)
        .unwrap();
    c.pump();
    let h: Vec<_> = c.frames.iter().filter(|f| f.is(kind::HEADERS)).collect();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].status(), Some(&b"103"[..]));
    assert_eq!(h[1].status(), Some(&b"200"[..]));
    assert_eq!(
        h[1].headers[1].1.len(),
        40_000,
        "joined from CONTINUATION frames"
    );
    assert!(h[1].end_stream());
}

#[test]
fn command_errors() {
    let mut c = Client::handshake(Config::default());
    open_gets(&mut c, &[1]);
    assert_eq!(
        c.conn.send_data(1, b"x", false),
        Err(SendError::InvalidState)
    );
    assert_eq!(
        c.conn.send_data(9, b"x", false),
        Err(SendError::UnknownStream)
    );
    assert_eq!(
        c.conn.send_response(1, 200, &[(b"Upper", b"x")], false),
        Err(SendError::InvalidHeader)
    );
    assert_eq!(
        c.conn
            .send_response(1, 200, &[(b"connection", b"close")], false),
        Err(SendError::InvalidHeader)
    );
    assert_eq!(
        c.conn.send_response(1, 100, &[], true),
        Err(SendError::InvalidStatus)
    );
    c.conn.send_response(1, 200, &[], false).unwrap();
    assert_eq!(
        c.conn.send_response(1, 200, &[], false),
        Err(SendError::InvalidState)
    );
    c.conn.send_data(1, b"", true).unwrap();
    assert_eq!(
        c.conn.send_data(1, b"x", false),
        Err(SendError::InvalidState)
    );
    c.conn.goaway(ErrorCode::NO_ERROR, "done");
    assert_eq!(c.conn.ping([0; 8]), Err(SendError::ConnectionClosed));
}

#[test]
fn large_bodies_both_ways_random_splits() {
    let mut c = Client::handshake(Config::default());
    let mut b = window_update(0, 4 << 20);
    b.extend(settings(&[(setting::INITIAL_WINDOW_SIZE, 4 << 20)]));
    b.extend(c.post(1, "/echo"));
    let body: Vec<u8> = (0..2_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
    for ch in body.chunks(16_384) {
        b.extend(data(1, ch, false));
    }
    b.extend(data(1, b"", true));
    c.feed(&b, Split::Random(99));
    assert!(c.body(1) == body);
    c.conn.send_response(1, 200, &[], false).unwrap();
    let mut off = 0;
    while off < body.len() {
        off += c.conn.send_data(1, &body[off..], true).unwrap();
        c.pump();
    }
    c.pump();
    assert!(c.response_body(1) == body);
    assert!(c
        .frames
        .iter()
        .filter(|f| f.is(kind::DATA))
        .all(|f| f.payload.len() <= 16_384));
}

#[test]
fn h2c_upgrade_hand_off() {
    let settings_payload = [0, 4, 0, 0, 0x10, 0, 0, 3, 0, 0, 0, 50];
    let headers: [(&[u8], &[u8]); 5] = [
        (b"Host", b"example.com"),
        (b"Connection", b"Upgrade, HTTP2-Settings"),
        (b"Upgrade", b"h2c"),
        (b"HTTP2-Settings", b"AAQAABAAAAMAAAAy"),
        (b"Accept", b"*/*"),
    ];
    let up = H2cUpgrade {
        settings: &settings_payload,
        method: b"GET",
        target: b"/index.html",
        authority: b"",
        headers: &headers,
    };
    let mut conn =
        Connection::from_h2c_upgrade(Config::default(), viper_core::Instant::ZERO, up).unwrap();
    assert_eq!(conn.peer_settings().initial_window_size, 0x1000);
    assert_eq!(conn.peer_settings().max_concurrent_streams, Some(50));
    let Some(Event::Request {
        stream_id: 1,
        head,
        end_stream: true,
    }) = conn.poll_event()
    else {
        panic!()
    };
    assert_eq!(head.authority(), Some(&b"example.com"[..]));
    assert_eq!(head.path(), Some(&b"/index.html"[..]));
    assert_eq!(head.header(b"accept"), Some(&b"*/*"[..]));
    assert_eq!(
        head.headers().count(),
        1,
        "connection-specific fields dropped"
    );
    assert_eq!(conn.poll_event(), Some(Event::StreamEnded { stream_id: 1 }));
    // The client preface still follows; then the response goes out on stream 1.
    let mut c = Client::new(Config::default());
    c.conn = conn;
    let mut b = viper_h2::frame::PREFACE.to_vec();
    b.extend(settings(&[]));
    c.feed(&b, Split::Bytes);
    c.conn.send_response(1, 200, &[], false).unwrap();
    c.conn.send_data(1, &[5u8; 5000], true).unwrap();
    c.pump();
    assert_eq!(
        c.response_body(1).len(),
        4096,
        "peer's INITIAL_WINDOW_SIZE from HTTP2-Settings"
    );

    let bad = H2cUpgrade {
        settings: &[0, 2, 0, 0, 0, 9],
        ..up
    };
    assert_eq!(
        Connection::from_h2c_upgrade(Config::default(), viper_core::Instant::ZERO, bad).err(),
        Some(UpgradeError::InvalidSettings(ErrorCode::PROTOCOL_ERROR))
    );
    let odd = H2cUpgrade {
        settings: &[0, 2, 0],
        ..up
    };
    assert!(
        Connection::from_h2c_upgrade(Config::default(), viper_core::Instant::ZERO, odd).is_err()
    );
}

/// RFC 7540 §3.2: a request with a body is sent in full over HTTP/1.1 before the
/// switch; the body is delivered on stream 1 without touching HTTP/2 windows.
#[test]
fn h2c_upgrade_with_body() {
    let headers: [(&[u8], &[u8]); 3] = [
        (b"Host", b"example.com"),
        (b"Content-Length", b"11"),
        (b"Content-Type", b"text/plain"),
    ];
    let up = H2cUpgrade {
        settings: &[],
        method: b"POST",
        target: b"/echo",
        authority: b"",
        headers: &headers,
    };
    let mut conn = Connection::from_h2c_upgrade_with_body(
        Config {
            auto_release: false,
            ..Config::default()
        },
        viper_core::Instant::ZERO,
        up,
        b"hello world",
    )
    .unwrap();
    assert!(matches!(
        conn.poll_event(),
        Some(Event::Request {
            stream_id: 1,
            end_stream: false,
            ..
        })
    ));
    assert_eq!(
        conn.poll_event(),
        Some(Event::Data {
            stream_id: 1,
            data: b"hello world".to_vec(),
            flow_controlled_len: 0,
        })
    );
    assert_eq!(conn.poll_event(), Some(Event::StreamEnded { stream_id: 1 }));
    assert_eq!(
        conn.release_capacity(1, 1),
        Err(SendError::TooMuchReleased),
        "nothing to release"
    );
    // The response goes out on stream 1 after the client preface.
    let mut c = Client::new(Config::default());
    c.conn = conn;
    let mut b = viper_h2::frame::PREFACE.to_vec();
    b.extend(settings(&[]));
    c.feed(&b, Split::Whole);
    c.conn.send_response(1, 200, &[], false).unwrap();
    c.conn.send_data(1, b"hello world", true).unwrap();
    c.pump();
    assert_eq!(c.response_body(1), b"hello world");
    assert_eq!(c.conn.open_streams(), 0);

    // A content-length that disagrees with the body is refused.
    assert_eq!(
        Connection::from_h2c_upgrade_with_body(
            Config::default(),
            viper_core::Instant::ZERO,
            up,
            b"short"
        )
        .err(),
        Some(UpgradeError::InvalidRequest)
    );
}

#[test]
fn peer_reset_reported_and_buffers_freed() {
    let mut c = Client::handshake(Config::default());
    open_gets(&mut c, &[1]);
    c.conn.send_response(1, 200, &[], false).unwrap();
    c.conn.send_data(1, &[0u8; 60_000], false).unwrap();
    c.feed(&rst(1, ErrorCode::CANCEL), Split::Whole);
    assert!(c.events.contains(&Event::StreamReset {
        stream_id: 1,
        error_code: ErrorCode::CANCEL,
        remote: true
    }));
    assert_eq!(c.conn.buffered_send_bytes(), 0);
    assert_eq!(
        c.conn.send_data(1, b"x", false),
        Err(SendError::UnknownStream)
    );
}

#[test]
fn padding_is_credited_back() {
    let cfg = Config {
        auto_release: false,
        ..Config::default()
    };
    let mut c = Client::handshake(cfg);
    let p = c.post(1, "/");
    c.feed(&p, Split::Whole);
    // 255 bytes of padding in each of 2000 frames exceed the connection window
    // unless the padding is released.
    let mut b = Vec::new();
    let mut pad = vec![254u8];
    pad.extend(std::iter::repeat_n(0u8, 254));
    for _ in 0..5000 {
        b.extend(raw(kind::DATA, flags::PADDED, 1, &pad));
    }
    c.feed(&b, Split::Whole);
    assert_eq!(
        c.goaway()
            .map(|g| g.0)
            .filter(|c| *c != ErrorCode::ENHANCE_YOUR_CALM),
        None
    );
    assert_eq!(c.rst(1), None);
}

/// A peer that sends only what the server's windows allow, as a real client does:
/// windows start at the announced sizes and grow by the WINDOW_UPDATEs it reads.
struct WindowedPeer {
    conn_window: i64,
    stream_windows: std::collections::HashMap<u32, i64>,
    initial: i64,
}

impl WindowedPeer {
    fn new(cfg: &Config) -> Self {
        WindowedPeer {
            conn_window: i64::from(cfg.connection_window_size),
            stream_windows: Default::default(),
            initial: i64::from(cfg.initial_window_size),
        }
    }

    /// Reads the WINDOW_UPDATEs the server wrote since the last call.
    fn absorb(&mut self, c: &mut Client) {
        for f in c.take_frames() {
            assert!(!f.is(kind::GOAWAY), "GOAWAY {:?}", f.code());
            assert!(!f.is(kind::RST_STREAM), "RST_STREAM on {}", f.stream_id);
            if f.is(kind::WINDOW_UPDATE) {
                let inc = i64::from(u32::from_be_bytes(f.payload[..4].try_into().unwrap()));
                if f.stream_id == 0 {
                    self.conn_window += inc;
                } else {
                    *self.window(f.stream_id) += inc;
                }
            }
        }
    }

    fn window(&mut self, id: u32) -> &mut i64 {
        self.stream_windows.entry(id).or_insert(self.initial)
    }

    /// Sends up to `want` bytes on `id` in 16 KiB frames within both windows; returns
    /// how many it could send.
    fn send(&mut self, c: &mut Client, id: u32, want: usize, end: bool) -> usize {
        let mut sent = 0;
        while sent < want {
            let room = self.conn_window.min(*self.window(id)).max(0) as usize;
            let n = (want - sent).min(room).min(16_384);
            if n == 0 {
                break;
            }
            self.conn_window -= n as i64;
            *self.window(id) -= n as i64;
            sent += n;
            c.feed(
                &data(id, &vec![id as u8; n], end && sent == want),
                Split::Whole,
            );
            self.absorb(c);
        }
        sent
    }
}

#[test]
fn manual_release_unread_bodies_do_not_stall_the_connection() {
    // Default windows (256 KiB per stream, 1 MiB per connection): five unread bodies,
    // each filling its stream window, hold 1.25 MiB — more than the connection window.
    let cfg = Config {
        auto_release: false,
        ..Config::default()
    };
    let stream_win = cfg.initial_window_size as usize;
    let mut peer = WindowedPeer::new(&cfg);
    let mut c = Client::handshake(cfg);
    let unread = [1u32, 3, 5, 7, 9];
    for &id in &unread {
        let p = c.post(id, "/slow");
        c.feed(&p, Split::Whole);
        peer.absorb(&mut c);
        assert_eq!(
            peer.send(&mut c, id, stream_win, false),
            stream_win,
            "stream {id} could not fill its own window"
        );
    }
    for &id in &unread {
        assert_eq!(c.body(id).len(), stream_win);
        assert_eq!(
            *peer.window(id),
            0,
            "stream {id} must stay closed until read"
        );
    }

    // Another stream uploads 4 MiB; the application reads (releases) only this one.
    const UPLOAD: usize = 4 << 20;
    let p = c.post(11, "/upload");
    c.feed(&p, Split::Whole);
    let mut done = 0;
    let mut released = 0usize;
    for _ in 0..10_000 {
        if done == UPLOAD {
            break;
        }
        let n = peer.send(&mut c, 11, UPLOAD - done, true);
        done += n;
        let got = c.body(11).len();
        if got > released {
            c.conn
                .release_capacity(11, (got - released) as u32)
                .unwrap();
            released = got;
            c.pump();
            peer.absorb(&mut c);
        } else {
            assert!(n > 0, "upload stalled after {done} bytes");
        }
    }
    assert_eq!(done, UPLOAD, "upload incomplete");
    assert_eq!(c.body(11).len(), UPLOAD);
    assert!(c.events.contains(&Event::StreamEnded { stream_id: 11 }));

    // The unread streams are still held to their own windows: more DATA on one of
    // them is a stream error, not buffering.
    c.feed(&data(1, &[1u8; 100], false), Split::Whole);
    assert_eq!(c.rst(1), Some(ErrorCode::FLOW_CONTROL_ERROR));
    assert_eq!(c.goaway(), None);
    c.frames.clear();
    // Reading one of them later reopens it.
    c.conn.release_capacity(3, stream_win as u32).unwrap();
    c.pump();
    peer.absorb(&mut c);
    assert_eq!(*peer.window(3), stream_win as i64);
}
