//! The nine attack classes of the issue. Each test mounts the attack whole, byte by
//! byte and in random splits, and shows the connection is closed with
//! ENHANCE_YOUR_CALM (or survives with bounded state), while another connection is
//! unaffected.

mod common;
use common::*;
use viper_h2::frame::{flags, kind, setting};
use viper_h2::{Config, ErrorCode, Event};

fn calm(c: &Client, reason: &str) {
    let (code, why) = c
        .goaway()
        .unwrap_or_else(|| panic!("no GOAWAY: {:?}", c.frames.len()));
    assert_eq!(code, ErrorCode::ENHANCE_YOUR_CALM, "{why}");
    assert!(why.contains(reason), "{why}");
    assert!(c.conn.is_closed());
}

/// A bystander connection keeps working while and after the attack runs.
fn bystander() -> Client {
    let mut c = Client::handshake(Config::default());
    let g = c.get(1, "/");
    c.feed(&g, Split::Whole);
    c
}

fn bystander_ok(mut b: Client) {
    b.conn.send_response(1, 200, &[], true).unwrap();
    b.pump();
    assert!(b.frames.iter().any(|f| f.is(kind::HEADERS)));
    b.assert_alive(3);
}

#[test]
fn c1_rapid_reset_pending_accept_cap() {
    for split in SPLITS {
        let other = bystander();
        let mut c = Client::handshake(Config::default());
        c.auto_events = false; // the application is slow: it has not polled anything
        let mut b = Vec::new();
        let mut id = 1;
        for _ in 0..100 {
            b.extend(c.get(id, "/"));
            b.extend(rst(id, ErrorCode::CANCEL));
            id += 2;
        }
        c.feed(&b, split);
        calm(&c, "rapid reset");
        bystander_ok(other);
    }
}

#[test]
fn c1_rapid_reset_token_bucket_even_when_app_is_fast() {
    for split in SPLITS {
        let other = bystander();
        let mut c = Client::handshake(Config::default());
        let mut b = Vec::new();
        let mut id = 1;
        for _ in 0..500 {
            b.extend(c.post(id, "/"));
            b.extend(rst(id, ErrorCode::CANCEL));
            id += 2;
        }
        c.feed(&b, split); // pump polls events after each chunk: the app is fast
        calm(&c, "rapid reset");
        bystander_ok(other);
    }
}

#[test]
fn c1_some_cancellations_are_fine_and_refill_with_time() {
    let mut c = Client::handshake(Config::default());
    let mut id = 1;
    for round in 0..5u64 {
        for _ in 0..150 {
            // The application polls between requests (`feed` pumps events).
            let mut b = c.post(id, "/");
            b.extend(rst(id, ErrorCode::CANCEL));
            c.feed(&b, Split::Whole);
            id += 2;
        }
        assert_eq!(c.goaway(), None, "round {round}");
        c.conn
            .handle_timeout(viper_core::Instant::from_millis((round + 1) * 2_000));
    }
    c.assert_alive(id);
}

#[test]
fn c2_made_you_reset_cap_counts_peer_caused_errors_only() {
    for split in SPLITS {
        let other = bystander();
        let mut c = Client::handshake(Config::default());
        let mut b = Vec::new();
        let mut id = 1;
        // Each stream is opened, then made invalid by the peer (WINDOW_UPDATE of 0):
        // we must reset it. MadeYouReset.
        for _ in 0..300 {
            b.extend(c.post(id, "/"));
            b.extend(window_update(id, 0));
            id += 2;
        }
        c.feed(&b, split);
        calm(&c, "too many stream errors");
        bystander_ok(other);
    }
}

#[test]
fn c2_application_resets_never_count() {
    let mut c = Client::handshake(Config::default());
    let mut id = 1;
    for _ in 0..1000 {
        let p = c.post(id, "/");
        c.feed(&p, Split::Whole);
        c.conn.reset(id, ErrorCode::CANCEL).unwrap();
        id += 2;
    }
    c.pump();
    assert_eq!(c.goaway(), None);
    c.assert_alive(id);
}

#[test]
fn c2_malformed_request_flood() {
    for split in SPLITS {
        let other = bystander();
        let mut c = Client::handshake(Config::default());
        let mut b = Vec::new();
        // Requests without :scheme and :path: each is a stream error the peer caused.
        for i in 0..300u32 {
            b.extend(c.headers(2 * i + 1, &[(":method", "GET")], true));
        }
        c.feed(&b, split);
        assert_eq!(c.rst(1), Some(ErrorCode::PROTOCOL_ERROR), "{split:?}");
        assert!(c.requests().is_empty(), "{split:?}");
        calm(&c, "too many stream errors");
        bystander_ok(other);
    }
}

#[test]
fn c3_continuation_flood_frame_count() {
    for split in SPLITS {
        let other = bystander();
        let mut c = Client::handshake(Config::default());
        let mut b = raw(kind::HEADERS, flags::END_STREAM, 1, &[0x82]);
        for _ in 0..1000 {
            b.extend(raw(
                kind::CONTINUATION,
                0,
                1,
                &[0x40, 0x01, b'a', 0x01, b'b'],
            ));
        }
        c.feed(&b, split);
        calm(&c, "CONTINUATION");
        bystander_ok(other);
    }
}

#[test]
fn c3_continuation_flood_bytes_checked_per_frame() {
    for split in SPLITS {
        let cfg = Config {
            max_continuation_frames: 1000,
            ..Config::default()
        };
        let mut c = Client::handshake(cfg);
        let mut b = raw(kind::HEADERS, flags::END_STREAM, 1, &[0x82]);
        for _ in 0..10 {
            b.extend(raw(kind::CONTINUATION, 0, 1, &[0u8; 16_000]));
        }
        c.feed(&b, split);
        calm(&c, "header block too large");
    }
}

#[test]
fn c4_settings_flood_one_pending_ack() {
    for split in SPLITS {
        let other = bystander();
        let mut c = Client::handshake(Config::default());
        let mut flood = Vec::new();
        for _ in 0..2000 {
            flood.extend(settings(&[(setting::MAX_FRAME_SIZE, 16_384)]));
        }
        // Without draining output, receive stops after the first SETTINGS.
        let used = c.conn.receive(&flood);
        assert_eq!(used, 15, "stops before the second SETTINGS");
        let first = c.conn.poll_transmit().unwrap().len();
        assert_eq!(first, 9, "exactly one ACK pending");
        // Driven normally, every SETTINGS is answered, one at a time.
        c.feed(&flood[used..], split);
        // The first ACK was shown but not advanced past, so it is still written:
        // every one of the 2000 SETTINGS gets exactly one ACK.
        let acks = c.frames.iter().filter(|f| f.is(kind::SETTINGS)).count();
        assert_eq!(acks, 2000);
        assert_eq!(c.goaway(), None);
        bystander_ok(other);
    }
}

#[test]
fn c4_settings_entries_cap() {
    conn_calm(
        |_| {
            let e: Vec<(u16, u32)> = (0..100).map(|i| (0x100 + i, 0)).collect();
            settings(&e)
        },
        "SETTINGS entries",
    );
}

fn conn_calm(build: impl Fn(&mut Client) -> Vec<u8>, reason: &str) {
    for split in SPLITS {
        let other = bystander();
        let mut c = Client::handshake(Config::default());
        let b = build(&mut c);
        c.feed(&b, split);
        calm(&c, reason);
        bystander_ok(other);
    }
}

#[test]
fn c4_ping_flood_one_pending_pong() {
    for split in SPLITS {
        let other = bystander();
        let mut c = Client::handshake(Config::default());
        let mut flood = Vec::new();
        for i in 0..1000u64 {
            flood.extend(ping(i.to_be_bytes()));
        }
        // Without draining output, receive stops after the first PING.
        let used = c.conn.receive(&flood);
        assert_eq!(used, 17);
        assert_eq!(c.conn.poll_transmit().unwrap().len(), 17);
        assert_eq!(
            c.conn.receive(&flood[used..]),
            17,
            "one more after the PONG was written"
        );
        c.pump();
        c.frames.clear();
        // Driven normally, each PING is answered once, in order, and nothing piles up.
        c.feed(&flood[2 * used..], split);
        let pongs: Vec<u64> = c
            .frames
            .iter()
            .filter(|f| f.is(kind::PING) && f.flags == flags::ACK)
            .map(|f| u64::from_be_bytes(f.payload[..8].try_into().unwrap()))
            .collect();
        assert_eq!(pongs, (2..1000).collect::<Vec<u64>>());
        assert_eq!(c.goaway(), None);
        bystander_ok(other);
    }
}

#[test]
fn c5_empty_data_flood() {
    conn_calm(
        |c| {
            let mut b = c.post(1, "/");
            for _ in 0..100 {
                b.extend(data(1, b"", false));
            }
            b
        },
        "empty frames",
    );
}

#[test]
fn c5_empty_continuation_flood() {
    for split in SPLITS {
        let cfg = Config {
            max_continuation_frames: 100_000,
            ..Config::default()
        };
        let mut c = Client::handshake(cfg);
        let mut b = raw(kind::HEADERS, flags::END_STREAM, 1, &[0x82]);
        for _ in 0..100 {
            b.extend(raw(kind::CONTINUATION, 0, 1, &[]));
        }
        c.feed(&b, split);
        calm(&c, "empty frames");
    }
}

#[test]
fn c5_empty_headers_flood() {
    conn_calm(
        |c| {
            let mut b = Vec::new();
            let mut id = 1;
            for _ in 0..40 {
                b.extend(raw(kind::HEADERS, flags::END_STREAM, id, &[]));
                b.extend(raw(
                    kind::CONTINUATION,
                    flags::END_HEADERS,
                    id,
                    &[0x82, 0x86, 0x84],
                ));
                id += 2;
            }
            let _ = c;
            b
        },
        "empty frames",
    );
}

#[test]
fn c5_tiny_data_frames_budget() {
    conn_calm(
        |c| {
            let mut b = c.post(1, "/");
            for _ in 0..1500 {
                b.extend(data(1, b"x", false));
            }
            b
        },
        "tiny DATA",
    );
}

#[test]
fn c5_empty_data_with_end_stream_is_fine() {
    let mut c = Client::handshake(Config::default());
    let mut b = Vec::new();
    for i in 0..50u32 {
        b.extend(c.post(2 * i + 1, "/"));
        b.extend(data(2 * i + 1, b"", true));
    }
    c.feed(&b, Split::Whole);
    assert_eq!(c.goaway(), None);
}

#[test]
fn c6_hpack_bomb_list_size_answers_431_and_survives() {
    for split in SPLITS {
        let other = bystander();
        let mut c = Client::handshake(Config::default());
        // One 4 KiB entry inserted into the dynamic table, then referenced 20 times
        // with one byte each: a 4 KiB block that decodes to an 84 KiB list.
        let mut block = vec![0x82, 0x86, 0x84, 0x40, 6];
        block.extend_from_slice(b"x-bomb");
        block.extend_from_slice(&[0x7f, 0xa1, 0x1e]); // 4000 = 127 + 3873
        block.extend(std::iter::repeat_n(b'v', 4000));
        block.extend(std::iter::repeat_n(0xbe, 20)); // index 62: the new entry
        let b = raw(
            kind::HEADERS,
            flags::END_HEADERS | flags::END_STREAM,
            1,
            &block,
        );
        assert!(b.len() < 4200, "block is small: {}", b.len());
        let _ = &mut c;
        c.feed(&b, split);
        let h = c.frames.iter().find(|f| f.is(kind::HEADERS)).expect("431");
        assert_eq!(h.status(), Some(&b"431"[..]));
        assert!(c.requests().is_empty());
        assert_eq!(c.goaway(), None);
        c.assert_alive(3);
        bystander_ok(other);
    }
}

#[test]
fn c6_hpack_bomb_of_one_byte_references_hits_count_limit() {
    for split in SPLITS {
        let mut c = Client::handshake(Config::default());
        // A tiny dynamic entry, then thousands of 1-byte references to it.
        let mut block = c.block_for(&[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            ("a", ""),
        ]);
        block.extend(std::iter::repeat_n(0xbe, 5000)); // index 62 = "a: "
        let b = raw(
            kind::HEADERS,
            flags::END_HEADERS | flags::END_STREAM,
            1,
            &block[..5000.min(block.len())],
        );
        let _ = b;
        let b = {
            let mut v = Vec::new();
            let mut chunks = block.chunks(16_000).peekable();
            let first = chunks.next().unwrap();
            let fl = flags::END_STREAM
                | if chunks.peek().is_none() {
                    flags::END_HEADERS
                } else {
                    0
                };
            v.extend(raw(kind::HEADERS, fl, 1, first));
            while let Some(ch) = chunks.next() {
                let fl = if chunks.peek().is_none() {
                    flags::END_HEADERS
                } else {
                    0
                };
                v.extend(raw(kind::CONTINUATION, fl, 1, ch));
            }
            v
        };
        c.feed(&b, split);
        let h = c.frames.iter().find(|f| f.is(kind::HEADERS)).expect("431");
        assert_eq!(h.status(), Some(&b"431"[..]));
        c.assert_alive(3);
    }
}

#[test]
fn c7_send_buffers_bounded_and_backpressure_reported() {
    let mut c = Client::handshake(Config::default());
    let p = c.get(1, "/");
    c.feed(&p, Split::Whole);
    c.conn.send_response(1, 200, &[], false).unwrap();
    let big = vec![0u8; 1 << 20];
    let n = c.conn.send_data(1, &big, true).unwrap();
    assert_eq!(n, 64 * 1024, "per-stream buffer");
    c.pump();
    // Peer window (65 535) allows all but one byte out; the buffer has room again.
    assert!(c.events.contains(&Event::SendCapacity { stream_id: 1 }));
    let n2 = c.conn.send_data(1, &big[n..], true).unwrap();
    assert!(n2 > 0 && n2 < big.len() - n);
    assert!(c.conn.buffered_send_bytes() <= 64 * 1024);
}

#[test]
fn c7_connection_buffer_bounded_across_streams() {
    let cfg = Config {
        max_send_buffer: 100_000,
        ..Config::default()
    };
    let mut c = Client::handshake(cfg);
    let mut b = Vec::new();
    for i in 0..10u32 {
        b.extend(c.get(2 * i + 1, "/"));
    }
    c.feed(&b, Split::Whole);
    let mut total = 0;
    for i in 0..10u32 {
        c.conn.send_response(2 * i + 1, 200, &[], false).unwrap();
        total += c.conn.send_data(2 * i + 1, &[1u8; 50_000], true).unwrap();
    }
    assert_eq!(total, 100_000);
}

#[test]
fn c7_zero_window_stall_times_out() {
    for split in SPLITS {
        let other = bystander();
        let mut c = Client::handshake(Config::default());
        let mut b = settings(&[(setting::INITIAL_WINDOW_SIZE, 0)]);
        b.extend(c.get(1, "/"));
        c.feed(&b, split);
        c.conn.send_response(1, 200, &[], false).unwrap();
        c.conn.send_data(1, b"never sent", true).unwrap();
        c.pump();
        assert!(!c.frames.iter().any(|f| f.is(kind::DATA)));
        let t = c.conn.poll_timeout().expect("stall timer");
        c.conn.handle_timeout(t);
        c.pump();
        calm(&c, "send window stalled");
        bystander_ok(other);
    }
}

#[test]
fn c7_dribbled_window_keeps_connection_alive() {
    let mut c = Client::handshake(Config::default());
    let mut b = settings(&[(setting::INITIAL_WINDOW_SIZE, 0)]);
    b.extend(c.get(1, "/"));
    c.feed(&b, Split::Whole);
    c.conn.send_response(1, 200, &[], false).unwrap();
    c.conn.send_data(1, b"abcdef", true).unwrap();
    c.pump();
    for i in 1..=6u64 {
        c.conn
            .handle_timeout(viper_core::Instant::from_millis(i * 20_000));
        c.feed(&window_update(1, 1), Split::Whole);
    }
    assert_eq!(c.response_body(1), b"abcdef");
    assert_eq!(c.goaway(), None);
}

#[test]
fn c8_remembered_closed_streams_bounded_by_count_and_age() {
    for split in SPLITS {
        let other = bystander();
        let cfg = Config {
            max_closed_streams: 16,
            ..Config::default()
        };
        let mut c = Client::handshake(cfg);
        let mut id = 1;
        // Streams the peer opens and we finish, and streams the peer opens and resets.
        for i in 0..200 {
            let g = c.post(id, "/");
            if i % 2 == 0 {
                let mut b = g;
                b.extend(data(id, b"", true));
                c.feed(&b, split);
                c.conn.send_response(id, 204, &[], true).unwrap();
            } else {
                let mut b = g;
                b.extend(rst(id, ErrorCode::CANCEL));
                c.feed(&b, split);
            }
            assert!(c.conn.remembered_closed_streams() <= 16);
            id += 2;
        }
        c.pump();
        assert_eq!(c.goaway(), None);
        assert_eq!(c.conn.open_streams(), 0);
        assert_eq!(c.conn.remembered_closed_streams(), 16);
        // A late frame on a forgotten stream is harmless (WINDOW_UPDATE on a closed
        // stream is allowed) and remembers nothing new.
        c.feed(&window_update(1, 10), split);
        assert_eq!(c.goaway(), None);
        c.conn
            .handle_timeout(viper_core::Instant::from_millis(31_000));
        assert_eq!(c.conn.remembered_closed_streams(), 0);
        c.assert_alive(id);
        bystander_ok(other);
    }
}

/// PRIORITY frames re-parenting many idle streams: each costs O(1) and leaves no
/// state behind; within the budget (which refills with time) the connection lives.
#[test]
fn c9_priority_churn_is_o1_and_survives() {
    for split in SPLITS {
        let other = bystander();
        let mut c = Client::handshake(Config::default());
        for round in 0..3u32 {
            let mut b = Vec::new();
            for i in 0..1_000u32 {
                let id = 2 * (round * 1_000 + i) + 1;
                b.extend(priority(id, 2 * ((i * 7919) % 1_000) + 3));
            }
            c.feed(&b, split);
            assert_eq!(c.goaway(), None, "round {round}");
            assert_eq!(c.conn.open_streams(), 0);
            assert_eq!(c.conn.remembered_closed_streams(), 0);
            assert!(c.frames.is_empty(), "PRIORITY produces no output");
            // 2 s refill the bucket (500/s) for the next round.
            c.conn.handle_timeout(viper_core::Instant::from_millis(
                u64::from(round + 1) * 2_000,
            ));
        }
        c.assert_alive(6_001);
        bystander_ok(other);
    }
}

#[test]
fn c9_priority_flood_is_calmed() {
    conn_calm(
        |_| {
            let mut b = Vec::new();
            for i in 0..5_000u32 {
                b.extend(priority(2 * i + 1, 2 * ((i * 31) % 5_000) + 3));
            }
            b
        },
        "too many PRIORITY frames",
    );
    // PRIORITY_UPDATE (RFC 9218) draws on the same budget.
    conn_calm(
        |c| {
            let mut b = c.post(1, "/");
            for i in 0..5_000u32 {
                let mut p = 1u32.to_be_bytes().to_vec();
                p.extend_from_slice(format!("u={}", i % 8).as_bytes());
                b.extend(raw(kind::PRIORITY_UPDATE, 0, 0, &p));
            }
            b
        },
        "too many PRIORITY frames",
    );
}

#[test]
fn read_backpressure_when_events_pile_up() {
    let cfg = Config {
        max_queued_events: 8,
        ..Config::default()
    };
    let mut c = Client::handshake(cfg);
    let mut b = Vec::new();
    for i in 0..50u32 {
        b.extend(c.get(2 * i + 1, "/"));
    }
    let used = c.conn.receive(&b);
    assert!(used < b.len());
    let mut n = 0;
    while c.conn.poll_event().is_some() {
        n += 1;
    }
    assert!((8..=10).contains(&n), "{n}");
}
