//! Server MUSTs of RFC 9113, organised by section (the ground h2spec covers), each run
//! with the input fed whole, byte by byte and in random splits.

mod common;
use common::*;
use viper_h2::frame::{flags, kind, setting, Frame, PREFACE};
use viper_h2::{Config, ErrorCode, Event};

type Build = dyn Fn(&mut Client) -> Vec<u8>;

fn conn_error(build: &Build, code: ErrorCode) {
    for split in SPLITS {
        let mut c = Client::handshake(Config::default());
        let b = build(&mut c);
        c.feed(&b, split);
        let (got, why) = c
            .goaway()
            .unwrap_or_else(|| panic!("no GOAWAY ({split:?}): {:?}", c.frames));
        assert_eq!(got, code, "{split:?}: {why}");
        assert!(c.conn.is_closed());
        assert!(c.events.iter().any(
            |e| matches!(e, Event::ConnectionTerminated { error_code, .. } if *error_code == code)
        ));
    }
}

fn stream_error(build: &Build, id: u32, code: ErrorCode) {
    for split in SPLITS {
        let mut c = Client::handshake(Config::default());
        let b = build(&mut c);
        c.feed(&b, split);
        assert_eq!(c.goaway(), None, "{split:?}");
        assert_eq!(c.rst(id), Some(code), "{split:?}: {:?}", c.frames);
        c.assert_alive(101);
    }
}

fn either_error(build: &Build, id: u32, code: ErrorCode) {
    for split in SPLITS {
        let mut c = Client::handshake(Config::default());
        let b = build(&mut c);
        c.feed(&b, split);
        let ok = c.rst(id) == Some(code) || c.goaway().map(|g| g.0) == Some(code);
        assert!(ok, "{split:?}: {:?}", c.frames);
    }
}

fn no_error(build: &Build) -> Client {
    let mut c = Client::handshake(Config::default());
    let b = build(&mut c);
    c.feed(&b, Split::Bytes);
    assert_eq!(c.goaway(), None);
    assert!(
        !c.frames.iter().any(|f| f.is(kind::RST_STREAM)),
        "{:?}",
        c.frames
    );
    c
}

fn get_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        (":method", "GET"),
        (":scheme", "http"),
        (":authority", "example.com"),
        (":path", "/"),
    ]
}

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut v = get_fields();
    v.extend_from_slice(extra);
    v
}

mod s3_starting {
    use super::*;

    #[test]
    fn s3_4_server_sends_settings_first() {
        let mut c = Client::new(Config::default());
        c.pump();
        assert!(c.frames[0].is(kind::SETTINGS));
        assert_eq!(c.frames[0].flags & flags::ACK, 0);
    }

    #[test]
    fn s3_4_invalid_preface_is_protocol_error() {
        for split in SPLITS {
            let mut c = Client::new(Config::default());
            c.feed(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", split);
            assert_eq!(c.goaway().unwrap().0, ErrorCode::PROTOCOL_ERROR);
        }
    }

    #[test]
    fn s3_4_first_frame_must_be_settings() {
        let mut c = Client::new(Config::default());
        let mut b = PREFACE.to_vec();
        b.extend(ping([0; 8]));
        c.feed(&b, Split::Whole);
        assert_eq!(c.goaway().unwrap().0, ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn s3_4_settings_acknowledged_and_request_served() {
        let mut c = Client::new(Config::default());
        let mut b = PREFACE.to_vec();
        b.extend(settings(&[(setting::INITIAL_WINDOW_SIZE, 1000)]));
        b.extend(settings_ack());
        let g = c.get(1, "/");
        b.extend(g);
        c.feed(&b, Split::Bytes);
        assert!(c
            .frames
            .iter()
            .any(|f| f.is(kind::SETTINGS) && f.flags & flags::ACK != 0));
        assert_eq!(c.requests(), vec![1]);
        assert!(c.events.contains(&Event::SettingsAcknowledged));
        assert_eq!(c.conn.peer_settings().initial_window_size, 1000);
    }
}

mod s4_frames {
    use super::*;

    #[test]
    fn s4_1_unknown_type_and_flags_and_reserved_bit_ignored() {
        let c = no_error(&|c| {
            let mut b = raw(0xfa, 0xff, 0, b"xyz");
            let mut g = c.get(1, "/");
            g[4] |= 0x10 | 0x40; // unknown flags on HEADERS
            g[5] |= 0x80; // reserved bit
            b.extend(g);
            b
        });
        assert_eq!(c.requests(), vec![1]);
    }

    #[test]
    fn s4_2_frame_of_max_size_accepted() {
        let c = no_error(&|c| {
            let mut b = c.post(1, "/");
            b.extend(data(1, &[7u8; 16_384], true));
            b
        });
        assert_eq!(c.body(1).len(), 16_384);
    }

    #[test]
    fn s4_2_data_larger_than_max_frame_size() {
        conn_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(data(1, &[0u8; 16_385], true));
                b
            },
            ErrorCode::FRAME_SIZE_ERROR,
        );
    }

    #[test]
    fn s4_2_headers_larger_than_max_frame_size() {
        conn_error(
            &|_| raw(kind::HEADERS, flags::END_HEADERS, 1, &[0x82; 16_385]),
            ErrorCode::FRAME_SIZE_ERROR,
        );
    }

    #[test]
    fn s4_3_invalid_header_block_is_compression_error() {
        // Index 70 does not exist (static table has 61 entries, dynamic is empty).
        conn_error(
            &|_| {
                raw(
                    kind::HEADERS,
                    flags::END_HEADERS | flags::END_STREAM,
                    1,
                    &[0xc6],
                )
            },
            ErrorCode::COMPRESSION_ERROR,
        );
    }

    #[test]
    fn s4_3_priority_between_headers_and_continuation() {
        conn_error(
            &|c| {
                let block = c.block_for(&get_fields());
                let mut b = raw(kind::HEADERS, flags::END_STREAM, 1, &block[..2]);
                b.extend(priority(1, 0));
                b.extend(raw(kind::CONTINUATION, flags::END_HEADERS, 1, &block[2..]));
                b
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
}

mod s5_1_stream_states {
    use super::*;

    #[test]
    fn idle_data() {
        conn_error(&|_| data(1, b"x", false), ErrorCode::PROTOCOL_ERROR);
    }
    #[test]
    fn idle_rst_stream() {
        conn_error(&|_| rst(1, ErrorCode::CANCEL), ErrorCode::PROTOCOL_ERROR);
    }
    #[test]
    fn idle_window_update() {
        conn_error(&|_| window_update(1, 100), ErrorCode::PROTOCOL_ERROR);
    }
    #[test]
    fn idle_continuation() {
        conn_error(
            &|c| {
                let b = c.block_for(&get_fields());
                raw(kind::CONTINUATION, flags::END_HEADERS, 1, &b)
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn idle_priority_is_allowed_and_does_not_open() {
        let mut c = no_error(&|_| priority(3, 0));
        assert_eq!(c.conn.open_streams(), 0);
        c.assert_alive(1);
    }

    #[test]
    fn half_closed_remote_data() {
        stream_error(
            &|c| {
                let mut b = c.get(1, "/");
                b.extend(data(1, b"x", false));
                b
            },
            1,
            ErrorCode::STREAM_CLOSED,
        );
    }
    #[test]
    fn half_closed_remote_headers() {
        stream_error(
            &|c| {
                let mut b = c.get(1, "/");
                b.extend(c.headers(1, &[("x-a", "b")], true));
                b
            },
            1,
            ErrorCode::STREAM_CLOSED,
        );
    }
    #[test]
    fn half_closed_remote_window_update_and_rst_allowed() {
        let mut c = Client::handshake(Config::default());
        let mut b = c.get(1, "/");
        b.extend(window_update(1, 10));
        c.feed(&b, Split::Whole);
        assert_eq!(c.rst(1), None);
        c.feed(&rst(1, ErrorCode::CANCEL), Split::Whole);
        assert!(c.events.iter().any(|e| matches!(
            e,
            Event::StreamReset {
                stream_id: 1,
                remote: true,
                ..
            }
        )));
        assert_eq!(c.goaway(), None);
    }

    #[test]
    fn closed_after_peer_rst_data() {
        either_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(rst(1, ErrorCode::CANCEL));
                b.extend(data(1, b"x", false));
                b
            },
            1,
            ErrorCode::STREAM_CLOSED,
        );
    }
    #[test]
    fn closed_after_peer_rst_headers() {
        either_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(rst(1, ErrorCode::CANCEL));
                b.extend(c.headers(1, &[("x-a", "b")], true));
                b
            },
            1,
            ErrorCode::STREAM_CLOSED,
        );
    }
    #[test]
    fn closed_after_both_ends_data_and_headers() {
        for trailing_headers in [false, true] {
            let mut c = Client::handshake(Config::default());
            let g = c.get(1, "/");
            c.feed(&g, Split::Whole);
            c.conn.send_response(1, 200, &[], true).unwrap();
            c.pump();
            assert_eq!(c.conn.open_streams(), 0);
            let b = if trailing_headers {
                c.headers(1, &[("x-a", "b")], true)
            } else {
                data(1, b"x", true)
            };
            c.feed(&b, Split::Whole);
            let ok = c.rst(1) == Some(ErrorCode::STREAM_CLOSED)
                || c.goaway().map(|g| g.0) == Some(ErrorCode::STREAM_CLOSED);
            assert!(ok, "{:?}", c.frames);
        }
    }
    #[test]
    fn closed_continuation() {
        either_error(
            &|c| {
                let mut b = c.get(1, "/");
                b.extend(raw(kind::CONTINUATION, flags::END_HEADERS, 1, &[0x82]));
                b
            },
            1,
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn frames_after_our_reset_are_ignored() {
        let mut c = Client::handshake(Config::default());
        let p = c.post(1, "/");
        c.feed(&p, Split::Whole);
        c.conn.reset(1, ErrorCode::CANCEL).unwrap();
        c.pump();
        assert_eq!(c.rst(1), Some(ErrorCode::CANCEL));
        c.frames.clear();
        c.feed(&data(1, &[1u8; 100], false), Split::Whole);
        c.feed(&window_update(1, 5), Split::Whole);
        assert!(
            c.frames.iter().all(|f| !f.is(kind::RST_STREAM)),
            "{:?}",
            c.frames
        );
        c.assert_alive(3);
    }
}

mod s5_1_1_stream_identifiers {
    use super::*;
    #[test]
    fn even_stream_id() {
        conn_error(&|c| c.get(2, "/"), ErrorCode::PROTOCOL_ERROR);
    }
    #[test]
    fn decreasing_stream_id() {
        conn_error(
            &|c| {
                let mut b = c.get(5, "/");
                b.extend(c.get(3, "/"));
                b
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn lower_unused_ids_become_closed() {
        let mut c = Client::handshake(Config::default());
        let g = c.get(7, "/");
        c.feed(&g, Split::Whole);
        c.feed(&window_update(3, 1), Split::Whole);
        assert_eq!(c.goaway(), None, "WINDOW_UPDATE on closed stream is fine");
    }
}

mod s5_1_2_concurrency {
    use super::*;
    #[test]
    fn beyond_max_concurrent_streams_refused() {
        for split in SPLITS {
            let cfg = Config {
                max_concurrent_streams: 2,
                ..Config::default()
            };
            let mut c = Client::handshake(cfg);
            let mut b = Vec::new();
            for id in [1, 3, 5] {
                b.extend(c.post(id, "/"));
            }
            c.feed(&b, split);
            assert_eq!(c.rst(5), Some(ErrorCode::REFUSED_STREAM));
            assert_eq!(c.requests(), vec![1, 3]);
            // Once one finishes, a new stream is accepted.
            c.feed(&data(1, b"", true), Split::Whole);
            c.conn.send_response(1, 200, &[], true).unwrap();
            c.pump();
            let p = c.post(7, "/");
            c.feed(&p, Split::Whole);
            assert!(c.requests().contains(&7));
        }
    }

    #[test]
    fn settings_announce_limit() {
        let mut c = Client::new(Config::default());
        c.pump();
        let s = &c.frames[0];
        let has = s.payload.chunks(6).any(|e| {
            e[..2] == setting::MAX_CONCURRENT_STREAMS.to_be_bytes()
                && e[2..] == 100u32.to_be_bytes()
        });
        assert!(has);
    }
}

mod s5_3_priority {
    use super::*;
    #[test]
    fn headers_self_dependency() {
        stream_error(
            &|c| {
                let block = c.block_for(&get_fields());
                let mut v = Vec::new();
                Frame::Headers {
                    stream_id: 1,
                    end_stream: true,
                    end_headers: true,
                    priority: Some(viper_h2::frame::PrioritySpec {
                        dependency: 1,
                        exclusive: false,
                        weight: 3,
                    }),
                    fragment: &block,
                    pad_len: 0,
                }
                .encode(&mut v);
                v
            },
            1,
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn priority_self_dependency() {
        stream_error(&|_| priority(1, 1), 1, ErrorCode::PROTOCOL_ERROR);
    }
    #[test]
    fn rfc9218_priority_update_changes_urgency() {
        let mut c = Client::handshake(Config::default());
        let g = c.post(1, "/");
        c.feed(&g, Split::Whole);
        let mut p = 1u32.to_be_bytes().to_vec();
        p.extend_from_slice(b"u=1, i");
        c.feed(&raw(kind::PRIORITY_UPDATE, 0, 0, &p), Split::Whole);
        assert!(c.events.contains(&Event::PriorityChanged {
            stream_id: 1,
            urgency: 1,
            incremental: true
        }));
    }
    /// RFC 9218 §7.1: a PRIORITY_UPDATE may precede its stream's HEADERS; it applies
    /// (over the `priority` header) when the stream opens.
    #[test]
    fn rfc9218_priority_update_for_idle_stream_applies_on_open() {
        for split in SPLITS {
            let mut c = Client::handshake(Config::default());
            let mut p = 5u32.to_be_bytes().to_vec();
            p.extend_from_slice(b"u=0");
            let mut b = raw(kind::PRIORITY_UPDATE, 0, 0, &p);
            b.extend(c.headers(5, &with(&[("priority", "u=6")]), true));
            c.feed(&b, split);
            let at = c
                .events
                .iter()
                .position(|e| matches!(e, Event::Request { stream_id: 5, .. }))
                .expect("request");
            assert_eq!(
                c.events.get(at + 1),
                Some(&Event::PriorityChanged {
                    stream_id: 5,
                    urgency: 0,
                    incremental: false
                })
            );
        }
    }
    /// Idle streams with a remembered priority count against MAX_CONCURRENT_STREAMS.
    #[test]
    fn rfc9218_idle_priority_updates_are_bounded() {
        for split in SPLITS {
            let cfg = Config {
                max_concurrent_streams: 2,
                ..Config::default()
            };
            let mut c = Client::handshake(cfg);
            let mut b = c.post(1, "/");
            for id in [3u32, 5] {
                let mut p = id.to_be_bytes().to_vec();
                p.extend_from_slice(b"u=1");
                b.extend(raw(kind::PRIORITY_UPDATE, 0, 0, &p));
            }
            c.feed(&b, split);
            let (code, why) = c.goaway().expect("GOAWAY");
            assert_eq!(code, ErrorCode::PROTOCOL_ERROR, "{why}");
            assert!(why.contains("MAX_CONCURRENT_STREAMS"), "{why}");
        }
    }
    #[test]
    fn priority_update_on_stream_zero_is_error() {
        conn_error(
            &|_| raw(kind::PRIORITY_UPDATE, 0, 0, &[0, 0, 0, 0, b'u', b'=', b'1']),
            ErrorCode::PROTOCOL_ERROR,
        );
    }
}

mod s5_5_extensions {
    use super::*;
    #[test]
    fn unknown_frame_inside_header_block_is_error() {
        conn_error(
            &|c| {
                let block = c.block_for(&get_fields());
                let mut b = raw(kind::HEADERS, flags::END_STREAM, 1, &block[..2]);
                b.extend(raw(0xfa, 0, 0, b""));
                b.extend(raw(kind::CONTINUATION, flags::END_HEADERS, 1, &block[2..]));
                b
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
}

mod s6_1_data {
    use super::*;
    #[test]
    fn data_on_stream_zero() {
        conn_error(&|_| data(0, b"x", false), ErrorCode::PROTOCOL_ERROR);
    }
    #[test]
    fn invalid_pad_length() {
        conn_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(raw(
                    kind::DATA,
                    flags::PADDED | flags::END_STREAM,
                    1,
                    &[6, b'a', b'b'],
                ));
                b
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn padded_data_delivered_and_padding_counted() {
        let c = no_error(&|c| {
            let mut b = c.post(1, "/");
            let mut f = Vec::new();
            Frame::Data {
                stream_id: 1,
                end_stream: true,
                data: b"hello",
                pad_len: 11,
            }
            .encode(&mut f);
            b.extend(f);
            b
        });
        assert_eq!(c.body(1), b"hello");
        assert!(c.events.contains(&Event::StreamEnded { stream_id: 1 }));
    }
}

mod s6_2_headers {
    use super::*;
    #[test]
    fn headers_on_stream_zero() {
        conn_error(
            &|c| {
                let b = c.block_for(&get_fields());
                raw(kind::HEADERS, flags::END_HEADERS, 0, &b)
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn headers_invalid_pad_length() {
        conn_error(
            &|_| {
                raw(
                    kind::HEADERS,
                    flags::END_HEADERS | flags::PADDED,
                    1,
                    &[9, 0x82],
                )
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn headers_without_end_headers_then_data() {
        conn_error(
            &|c| {
                let block = c.block_for(&get_fields());
                let mut b = raw(kind::HEADERS, 0, 1, &block);
                b.extend(data(1, b"x", true));
                b
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn headers_on_another_stream_inside_header_block() {
        conn_error(
            &|c| {
                let block = c.block_for(&get_fields());
                let mut b = raw(kind::HEADERS, flags::END_STREAM, 1, &block[..2]);
                b.extend(c.get(3, "/"));
                b
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn padded_headers_with_priority() {
        let c = no_error(&|c| {
            let block = c.block_for(&get_fields());
            let mut v = Vec::new();
            Frame::Headers {
                stream_id: 1,
                end_stream: true,
                end_headers: true,
                priority: Some(viper_h2::frame::PrioritySpec {
                    dependency: 0,
                    exclusive: true,
                    weight: 200,
                }),
                fragment: &block,
                pad_len: 30,
            }
            .encode(&mut v);
            v
        });
        assert_eq!(c.requests(), vec![1]);
    }
}

mod s6_3_priority {
    use super::*;
    #[test]
    fn priority_on_stream_zero() {
        conn_error(&|_| priority(0, 1), ErrorCode::PROTOCOL_ERROR);
    }
    #[test]
    fn priority_wrong_length() {
        stream_error(
            &|_| raw(kind::PRIORITY, 0, 1, &[0, 0, 0, 0]),
            1,
            ErrorCode::FRAME_SIZE_ERROR,
        );
    }
}

mod s6_4_rst_stream {
    use super::*;
    #[test]
    fn rst_on_stream_zero() {
        conn_error(&|_| rst(0, ErrorCode::CANCEL), ErrorCode::PROTOCOL_ERROR);
    }
    #[test]
    fn rst_wrong_length() {
        conn_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(raw(kind::RST_STREAM, 0, 1, &[0, 0, 0]));
                b
            },
            ErrorCode::FRAME_SIZE_ERROR,
        );
    }
}

mod s6_5_settings {
    use super::*;
    #[test]
    fn ack_with_payload() {
        conn_error(
            &|_| raw(kind::SETTINGS, flags::ACK, 0, &[0; 6]),
            ErrorCode::FRAME_SIZE_ERROR,
        );
    }
    #[test]
    fn on_stream() {
        conn_error(
            &|_| raw(kind::SETTINGS, 0, 1, &[]),
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn length_not_multiple_of_6() {
        conn_error(
            &|_| raw(kind::SETTINGS, 0, 0, &[0, 3, 0, 0, 0]),
            ErrorCode::FRAME_SIZE_ERROR,
        );
    }
    #[test]
    fn s6_5_2_enable_push_invalid() {
        conn_error(
            &|_| settings(&[(setting::ENABLE_PUSH, 2)]),
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn s6_5_2_initial_window_too_large() {
        conn_error(
            &|_| settings(&[(setting::INITIAL_WINDOW_SIZE, 1 << 31)]),
            ErrorCode::FLOW_CONTROL_ERROR,
        );
    }
    #[test]
    fn s6_5_2_max_frame_size_too_small_or_large() {
        conn_error(
            &|_| settings(&[(setting::MAX_FRAME_SIZE, 16_383)]),
            ErrorCode::PROTOCOL_ERROR,
        );
        conn_error(
            &|_| settings(&[(setting::MAX_FRAME_SIZE, 16_777_216)]),
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn s6_5_2_unknown_setting_ignored() {
        let c = no_error(&|_| settings(&[(0xff, 7)]));
        assert!(c
            .frames
            .iter()
            .any(|f| f.is(kind::SETTINGS) && f.flags == flags::ACK));
    }
    #[test]
    fn s6_5_3_ack_sent_and_values_applied_in_order() {
        let c = no_error(&|_| {
            settings(&[
                (setting::MAX_FRAME_SIZE, 20_000),
                (setting::MAX_FRAME_SIZE, 30_000),
                (setting::HEADER_TABLE_SIZE, 0),
            ])
        });
        assert_eq!(c.conn.peer_settings().max_frame_size, 30_000);
        assert!(c
            .frames
            .iter()
            .any(|f| f.is(kind::SETTINGS) && f.flags == flags::ACK));
    }
    #[test]
    fn s6_5_3_settings_timeout() {
        let mut c = Client::new(Config::default());
        let mut b = PREFACE.to_vec();
        b.extend(settings(&[]));
        c.feed(&b, Split::Whole);
        let t = c.conn.poll_timeout().expect("ACK timer");
        c.conn.handle_timeout(t);
        c.pump();
        assert_eq!(c.goaway().unwrap().0, ErrorCode::SETTINGS_TIMEOUT);
    }
    #[test]
    fn header_table_size_zero_makes_encoder_emit_update() {
        let mut c = no_error(&|c| {
            let mut b = settings(&[(setting::HEADER_TABLE_SIZE, 0)]);
            b.extend(c.get(1, "/"));
            b
        });
        c.conn
            .send_response(1, 200, &[(b"x-a", b"b")], true)
            .unwrap();
        c.pump();
        let h = c.frames.iter().find(|f| f.is(kind::HEADERS)).unwrap();
        assert_eq!(
            h.payload[0] & 0xe0,
            0x20,
            "starts with a dynamic table size update"
        );
    }
}

mod s6_7_ping {
    use super::*;
    #[test]
    fn ping_answered() {
        let c = no_error(&|_| ping(*b"12345678"));
        let p = c.frames.iter().find(|f| f.is(kind::PING)).unwrap();
        assert_eq!(p.flags, flags::ACK);
        assert_eq!(p.payload, b"12345678");
    }
    #[test]
    fn ping_ack_not_answered() {
        let c = no_error(&|_| raw(kind::PING, flags::ACK, 0, b"12345678"));
        assert!(!c.frames.iter().any(|f| f.is(kind::PING)));
    }
    #[test]
    fn ping_on_stream() {
        conn_error(
            &|_| raw(kind::PING, 0, 1, &[0; 8]),
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn ping_wrong_length() {
        conn_error(
            &|_| raw(kind::PING, 0, 0, &[0; 6]),
            ErrorCode::FRAME_SIZE_ERROR,
        );
    }
    #[test]
    fn our_ping_acknowledged() {
        let mut c = Client::handshake(Config::default());
        c.conn.ping(*b"abcdefgh").unwrap();
        c.pump();
        assert!(c.frames.iter().any(|f| f.is(kind::PING) && f.flags == 0));
        c.feed(&raw(kind::PING, flags::ACK, 0, b"abcdefgh"), Split::Whole);
        assert!(c
            .events
            .contains(&Event::PingAcknowledged { data: *b"abcdefgh" }));
    }
}

mod s6_8_goaway {
    use super::*;
    #[test]
    fn goaway_on_stream() {
        conn_error(
            &|_| raw(kind::GOAWAY, 0, 1, &[0; 8]),
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn graceful_shutdown_two_step() {
        let mut c = Client::handshake(Config::default());
        let p = c.post(1, "/");
        c.feed(&p, Split::Whole);
        c.conn.graceful_shutdown();
        c.pump();
        let g: Vec<_> = c
            .frames
            .iter()
            .filter(|f| f.is(kind::GOAWAY))
            .cloned()
            .collect();
        assert_eq!(g.len(), 1);
        assert_eq!(&g[0].payload[..4], &0x7fff_ffffu32.to_be_bytes());
        let ping = c
            .frames
            .iter()
            .find(|f| f.is(kind::PING))
            .unwrap()
            .payload
            .clone();
        // A stream opened before the PING round trip is still served.
        let p3 = c.post(3, "/");
        c.feed(&p3, Split::Whole);
        let mut ack = raw(kind::PING, flags::ACK, 0, &ping);
        let p5 = c.post(5, "/");
        ack.extend(p5);
        c.feed(&ack, Split::Whole);
        let g: Vec<_> = c
            .frames
            .iter()
            .filter(|f| f.is(kind::GOAWAY))
            .cloned()
            .collect();
        assert_eq!(g.len(), 2);
        assert_eq!(&g[1].payload[..4], &3u32.to_be_bytes());
        assert_eq!(
            c.requests(),
            vec![1, 3],
            "stream 5 is beyond last-stream-id"
        );
        assert!(!c.conn.is_closed());
        for id in [1, 3] {
            c.feed(&data(id, b"body", true), Split::Whole);
            c.conn.send_response(id, 200, &[], false).unwrap();
            c.conn.send_data(id, b"done", true).unwrap();
        }
        c.pump();
        assert!(c.conn.is_closed());
        assert_eq!(c.response_body(3), b"done");
        assert!(c.events.iter().any(|e| matches!(
            e,
            Event::ConnectionTerminated {
                error_code: ErrorCode::NO_ERROR,
                ..
            }
        )));
    }
    #[test]
    fn immediate_goaway() {
        let mut c = Client::handshake(Config::default());
        let p = c.post(1, "/");
        c.feed(&p, Split::Whole);
        c.conn.goaway(ErrorCode::NO_ERROR, "bye");
        c.pump();
        assert_eq!(c.goaway(), Some((ErrorCode::NO_ERROR, "bye".into())));
        assert!(c.conn.is_closed());
        let g = c.frames.iter().find(|f| f.is(kind::GOAWAY)).unwrap();
        assert_eq!(&g.payload[..4], &1u32.to_be_bytes());
    }
    #[test]
    fn peer_graceful_goaway_lets_open_streams_finish() {
        let mut c = Client::handshake(Config::default());
        let p = c.post(1, "/");
        c.feed(&p, Split::Whole);
        let mut g = 1u32.to_be_bytes().to_vec();
        g.extend_from_slice(&0u32.to_be_bytes());
        c.feed(&raw(kind::GOAWAY, 0, 0, &g), Split::Whole);
        assert!(!c.conn.is_closed(), "stream 1 is still open");
        c.feed(&data(1, b"body", true), Split::Whole);
        c.conn.send_response(1, 200, &[], false).unwrap();
        c.conn.send_data(1, b"answer", true).unwrap();
        c.pump();
        assert_eq!(c.response_body(1), b"answer");
        assert!(c.conn.is_closed());
        assert!(c.events.contains(&Event::ConnectionTerminated {
            error_code: ErrorCode::NO_ERROR,
            last_stream_id: 1,
            reason: "peer GOAWAY",
            remote: true,
        }));
    }
    #[test]
    fn peer_goaway_reported() {
        let mut c = Client::handshake(Config::default());
        let mut p = 0u32.to_be_bytes().to_vec();
        p.extend_from_slice(&0u32.to_be_bytes());
        c.feed(&raw(kind::GOAWAY, 0, 0, &p), Split::Whole);
        assert!(c.events.contains(&Event::GoAwayReceived {
            last_stream_id: 0,
            error_code: ErrorCode::NO_ERROR
        }));
        assert!(c.conn.is_closed(), "no streams left");
    }
}

mod s6_9_window_update {
    use super::*;
    #[test]
    fn zero_increment_connection() {
        conn_error(&|_| window_update(0, 0), ErrorCode::PROTOCOL_ERROR);
    }
    #[test]
    fn zero_increment_stream() {
        stream_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(window_update(1, 0));
                b
            },
            1,
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn wrong_length() {
        conn_error(
            &|_| raw(kind::WINDOW_UPDATE, 0, 0, &[0, 0, 1]),
            ErrorCode::FRAME_SIZE_ERROR,
        );
    }
    #[test]
    fn s6_9_1_connection_overflow() {
        conn_error(
            &|_| {
                let mut b = window_update(0, 0x7fff_ffff);
                b.extend(window_update(0, 0x7fff_ffff));
                b
            },
            ErrorCode::FLOW_CONTROL_ERROR,
        );
    }
    #[test]
    fn s6_9_1_stream_overflow() {
        stream_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(window_update(1, 0x7fff_ffff));
                b
            },
            1,
            ErrorCode::FLOW_CONTROL_ERROR,
        );
    }
    #[test]
    fn s6_9_1_data_beyond_our_window() {
        // The connection window is 1 MiB; the stream's 256 KiB (65 535 before ACK).
        let cfg = Config {
            initial_window_size: 100,
            ..Config::default()
        };
        let mut c = Client::handshake(cfg);
        let p = c.post(1, "/");
        c.feed(&p, Split::Whole);
        c.feed(&data(1, &[0u8; 101], false), Split::Whole);
        assert_eq!(c.rst(1), Some(ErrorCode::FLOW_CONTROL_ERROR));
    }
    #[test]
    fn s6_9_2_initial_window_size_change_applies_to_open_streams_and_can_go_negative() {
        let mut c = Client::handshake(Config::default());
        let p = c.post(1, "/");
        c.feed(&p, Split::Whole);
        c.conn.send_response(1, 200, &[], false).unwrap();
        assert_eq!(c.conn.send_data(1, &[1u8; 60_000], false).unwrap(), 60_000);
        c.pump();
        assert_eq!(c.conn.stream_send_window(1), Some(5_535));
        c.feed(
            &settings(&[(setting::INITIAL_WINDOW_SIZE, 1_000)]),
            Split::Whole,
        );
        assert_eq!(c.conn.stream_send_window(1), Some(1_000 - 60_000));
        c.conn.send_data(1, &[2u8; 10], true).unwrap();
        c.frames.clear();
        c.pump();
        assert!(
            !c.frames.iter().any(|f| f.is(kind::DATA)),
            "negative window blocks"
        );
        c.feed(&window_update(1, 59_010), Split::Whole);
        let d: Vec<_> = c.frames.iter().filter(|f| f.is(kind::DATA)).collect();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].payload.len(), 10);
        assert!(d[0].end_stream());
    }
    /// h2spec 6.9.1/1: with a stream window of 1 the server sends one octet, and the
    /// rest as the window grows.
    #[test]
    fn s6_9_1_window_of_one_octet() {
        for split in SPLITS {
            let mut c = Client::handshake(Config::default());
            let mut b = settings(&[(setting::INITIAL_WINDOW_SIZE, 1)]);
            b.extend(c.get(1, "/"));
            c.feed(&b, split);
            c.conn.send_response(1, 200, &[], false).unwrap();
            c.conn.send_data(1, b"hello h2\n", true).unwrap();
            c.pump();
            let d: Vec<_> = c.frames.iter().filter(|f| f.is(kind::DATA)).collect();
            assert_eq!(d.len(), 1, "{split:?}");
            assert_eq!(d[0].payload, b"h");
            assert!(!d[0].end_stream());
            c.feed(&window_update(1, 8), split);
            assert_eq!(c.response_body(1), b"hello h2\n");
            assert!(c.last_data_ends_stream());
        }
    }
    /// h2spec 6.9.2/2: window 3, 3 octets sent, INITIAL_WINDOW_SIZE 2 makes it -1, a
    /// WINDOW_UPDATE of 2 allows exactly one more octet.
    #[test]
    fn s6_9_2_negative_window_then_one_octet() {
        for split in SPLITS {
            let mut c = Client::handshake(Config::default());
            let mut b = settings(&[(setting::INITIAL_WINDOW_SIZE, 3)]);
            b.extend(c.get(1, "/"));
            c.feed(&b, split);
            c.conn.send_response(1, 200, &[], false).unwrap();
            c.conn.send_data(1, b"hello h2\n", true).unwrap();
            c.pump();
            assert_eq!(c.response_body(1), b"hel");
            c.feed(&settings(&[(setting::INITIAL_WINDOW_SIZE, 2)]), split);
            assert_eq!(c.conn.stream_send_window(1), Some(-1));
            c.frames.clear();
            c.feed(&window_update(1, 2), split);
            let d: Vec<_> = c.frames.iter().filter(|f| f.is(kind::DATA)).collect();
            assert_eq!(d.len(), 1, "{split:?}");
            assert_eq!(d[0].payload, b"l");
        }
    }
    #[test]
    fn s6_9_2_initial_window_size_overflow_is_connection_error() {
        conn_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(window_update(1, 0x7fff_ffff - 65_535));
                b.extend(settings(&[(setting::INITIAL_WINDOW_SIZE, 65_536)]));
                b
            },
            ErrorCode::FLOW_CONTROL_ERROR,
        );
    }
}

mod s6_10_continuation {
    use super::*;
    #[test]
    fn continuation_sequence_accepted() {
        let c = no_error(&|c| {
            let block = c.block_for(&with(&[("x-long", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa")]));
            let mut b = raw(kind::HEADERS, flags::END_STREAM, 1, &block[..3]);
            b.extend(raw(kind::CONTINUATION, 0, 1, &block[3..6]));
            b.extend(raw(kind::CONTINUATION, flags::END_HEADERS, 1, &block[6..]));
            b
        });
        assert_eq!(c.requests(), vec![1]);
    }
    #[test]
    fn continuation_after_end_headers() {
        either_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(raw(kind::CONTINUATION, flags::END_HEADERS, 1, &[0x82]));
                b
            },
            1,
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn continuation_on_other_stream() {
        conn_error(
            &|c| {
                let block = c.block_for(&get_fields());
                let mut b = raw(kind::HEADERS, flags::END_STREAM, 1, &block[..2]);
                b.extend(raw(kind::CONTINUATION, flags::END_HEADERS, 3, &block[2..]));
                b
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn continuation_after_continuation_with_end_headers() {
        either_error(
            &|c| {
                let block = c.block_for(&get_fields());
                let mut b = raw(kind::HEADERS, flags::END_STREAM, 1, &block[..2]);
                b.extend(raw(kind::CONTINUATION, flags::END_HEADERS, 1, &block[2..]));
                b.extend(raw(kind::CONTINUATION, flags::END_HEADERS, 1, &[0x82]));
                b
            },
            1,
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn continuation_after_data() {
        conn_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(data(1, b"x", false));
                b.extend(raw(kind::CONTINUATION, flags::END_HEADERS, 1, &[0x82]));
                b
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn continuation_on_stream_zero() {
        conn_error(
            &|c| {
                let block = c.block_for(&get_fields());
                let mut b = raw(kind::HEADERS, flags::END_STREAM, 1, &block[..2]);
                b.extend(raw(kind::CONTINUATION, flags::END_HEADERS, 0, &block[2..]));
                b
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
}

mod s8_http_semantics {
    use super::*;

    fn malformed(fields: Vec<(&'static str, &'static str)>) {
        stream_error(
            &move |c| c.headers(1, &fields, true),
            1,
            ErrorCode::PROTOCOL_ERROR,
        );
    }

    #[test]
    fn s8_1_data_exceeding_content_length() {
        stream_error(
            &|c| {
                let mut b = c.headers(1, &with(&[("content-length", "3")]), false);
                b.extend(data(1, b"abcd", true));
                b
            },
            1,
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn s8_1_data_short_of_content_length() {
        stream_error(
            &|c| {
                let mut b = c.headers(1, &with(&[("content-length", "5")]), false);
                b.extend(data(1, b"abcd", true));
                b
            },
            1,
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn s8_1_multiple_data_frames_mismatching_content_length() {
        stream_error(
            &|c| {
                let mut b = c.headers(1, &with(&[("content-length", "8")]), false);
                b.extend(data(1, b"abc", false));
                b.extend(data(1, b"def", true));
                b
            },
            1,
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn s8_1_content_length_matching_multiple_data_frames() {
        let c = no_error(&|c| {
            let mut b = c.headers(1, &with(&[("content-length", "6")]), false);
            b.extend(data(1, b"abc", false));
            b.extend(data(1, b"def", true));
            b
        });
        assert_eq!(c.body(1), b"abcdef");
    }
    #[test]
    fn s8_1_second_headers_without_end_stream() {
        stream_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(c.headers(1, &[("x-t", "1")], false));
                b
            },
            1,
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn s8_1_trailers_delivered() {
        let c = no_error(&|c| {
            let mut b = c.headers(1, &with(&[("te", "trailers")]), false);
            b.extend(data(1, b"abc", false));
            b.extend(c.headers(1, &[("x-checksum", "42")], true));
            b
        });
        let t = c
            .events
            .iter()
            .find_map(|e| match e {
                Event::Trailers { trailers, .. } => Some(trailers.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(t.get(b"x-checksum"), Some(&b"42"[..]));
        assert_eq!(c.events.last(), Some(&Event::StreamEnded { stream_id: 1 }));
    }
    #[test]
    fn s8_2_1_uppercase_name() {
        malformed(with(&[("X-Upper", "a")]));
    }
    #[test]
    fn s8_2_1_invalid_value() {
        malformed(with(&[("x-a", "a\r\nb")]));
        malformed(with(&[("x-a", " lead")]));
    }
    #[test]
    fn s8_2_2_connection_specific() {
        malformed(with(&[("connection", "keep-alive")]));
        malformed(with(&[("transfer-encoding", "chunked")]));
        malformed(with(&[("upgrade", "h2c")]));
    }
    #[test]
    fn s8_2_2_te_other_than_trailers() {
        malformed(with(&[("te", "gzip")]));
    }
    #[test]
    fn s8_3_unknown_pseudo() {
        malformed(with(&[(":foo", "bar")]));
    }
    #[test]
    fn s8_3_response_pseudo_in_request() {
        malformed(with(&[(":status", "200")]));
    }
    #[test]
    fn s8_3_pseudo_after_regular() {
        let mut f = get_fields();
        f.insert(2, ("x-a", "b"));
        malformed(f);
    }
    #[test]
    fn s8_3_duplicate_pseudo() {
        malformed(with(&[(":path", "/again")]));
        malformed(with(&[(":method", "POST")]));
        malformed(with(&[(":scheme", "https")]));
        malformed(with(&[(":authority", "other.example")]));
    }
    #[test]
    fn s8_3_pseudo_in_trailers() {
        stream_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(c.headers(1, &[(":path", "/x")], true));
                b
            },
            1,
            ErrorCode::PROTOCOL_ERROR,
        );
    }
    #[test]
    fn s8_3_1_missing_or_empty_pseudo() {
        for drop in 0..4 {
            if drop == 2 {
                continue; // :authority is optional
            }
            let mut f = get_fields();
            f.remove(drop);
            malformed(f);
        }
        malformed(vec![(":method", "GET"), (":scheme", "http"), (":path", "")]);
    }
    #[test]
    fn s8_3_1_request_fields_delivered() {
        let c = no_error(&|c| c.headers(1, &with(&[("accept", "*/*"), ("cookie", "a=b")]), true));
        let Event::Request {
            head, end_stream, ..
        } = &c.events[0]
        else {
            panic!("{:?}", c.events)
        };
        assert!(*end_stream);
        assert_eq!(head.method(), b"GET");
        assert_eq!(head.scheme(), Some(&b"http"[..]));
        assert_eq!(head.authority(), Some(&b"example.com"[..]));
        assert_eq!(head.path(), Some(&b"/"[..]));
        assert_eq!(head.header(b"cookie"), Some(&b"a=b"[..]));
        assert_eq!(head.headers().count(), 2);
    }
    #[test]
    fn s8_5_connect() {
        let c =
            no_error(&|c| c.headers(1, &[(":method", "CONNECT"), (":authority", "h:443")], false));
        assert_eq!(c.requests(), vec![1]);
        malformed(vec![
            (":method", "CONNECT"),
            (":authority", "h:443"),
            (":path", "/"),
        ]);
    }
    #[test]
    fn s8_4_server_push_is_never_used_even_when_enabled() {
        // The client allows push (SETTINGS_ENABLE_PUSH = 1, also the default): the
        // value is accepted and reported, our SETTINGS do not mention it, and the
        // responses go out without a PUSH_PROMISE or any server-initiated stream.
        for enable in [1, 0] {
            let mut c = Client::new(Config::default());
            let mut b = PREFACE.to_vec();
            b.extend(settings(&[(setting::ENABLE_PUSH, enable)]));
            b.extend(settings_ack());
            c.feed(&b, Split::Bytes);
            let ours = c
                .frames
                .iter()
                .find(|f| f.is(kind::SETTINGS) && f.flags == 0);
            let ours = ours.expect("server SETTINGS");
            assert!(ours
                .payload
                .chunks(6)
                .all(|e| u16::from_be_bytes([e[0], e[1]]) != setting::ENABLE_PUSH));
            assert!(c
                .events
                .iter()
                .any(|e| matches!(e, Event::RemoteSettings(p) if p.enable_push == (enable == 1))));
            for id in [1, 3] {
                let g = c.get(id, "/");
                c.feed(&g, Split::Whole);
                c.conn.send_response(id, 200, &[], false).unwrap();
                c.conn.send_data(id, b"hi", true).unwrap();
            }
            c.pump();
            assert_eq!(c.goaway(), None);
            assert_eq!(c.response_body(3), b"hi");
            assert!(!c.frames.iter().any(|f| f.is(kind::PUSH_PROMISE)));
            assert!(c
                .frames
                .iter()
                .all(|f| f.stream_id % 2 == 1 || f.stream_id == 0));
        }
    }
    #[test]
    fn s8_4_push_promise_from_client() {
        conn_error(
            &|c| {
                let mut b = c.post(1, "/");
                b.extend(raw(
                    kind::PUSH_PROMISE,
                    flags::END_HEADERS,
                    1,
                    &[0, 0, 0, 2, 0x82],
                ));
                b
            },
            ErrorCode::PROTOCOL_ERROR,
        );
    }
}
