//! Property tests: frame codec round trips; arbitrary bytes never panic and stay
//! bounded; how the input is split never changes what the connection does.

mod common;
use common::*;
use proptest::prelude::*;
use viper_h2::frame::{Frame, FrameHeader, PrioritySpec, FRAME_HEADER_LEN, PREFACE};
use viper_h2::{Config, Connection, ErrorCode};

fn frame_strategy() -> impl Strategy<Value = (u8, u32, bool, bool, Vec<u8>, u32, u32, u8)> {
    (
        0u8..12,
        1u32..0x7fff_ffff,
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..300),
        0u32..257,
        1u32..0x7fff_ffff,
        any::<u8>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn frame_round_trip((k, sid, a, b, bytes, pad, n, w) in frame_strategy()) {
        let prio = PrioritySpec { dependency: n, exclusive: a, weight: w };
        let f = match k {
            0 => Frame::Data { stream_id: sid, end_stream: a, data: &bytes, pad_len: pad },
            1 => Frame::Headers { stream_id: sid, end_stream: a, end_headers: b,
                 priority: if b { Some(prio) } else { None }, fragment: &bytes, pad_len: pad },
            2 => Frame::Priority { stream_id: sid, priority: prio },
            3 => Frame::RstStream { stream_id: sid, error_code: ErrorCode(n) },
            4 => Frame::Settings { ack: false, payload: &bytes[..bytes.len() / 6 * 6] },
            5 => Frame::PushPromise { stream_id: sid, end_headers: b, promised_id: n, fragment: &bytes },
            6 => Frame::Ping { ack: a, data: [w; 8] },
            7 => Frame::GoAway { last_stream_id: sid, error_code: ErrorCode(n), debug: &bytes },
            8 => Frame::WindowUpdate { stream_id: sid, increment: n },
            9 => Frame::Continuation { stream_id: sid, end_headers: b, fragment: &bytes },
            10 => Frame::PriorityUpdate { prioritized_id: sid, field_value: &bytes },
            _ => Frame::WindowUpdate { stream_id: 0, increment: n },
        };
        let mut out = Vec::new();
        f.encode(&mut out);
        let h = FrameHeader::parse(&out).unwrap();
        prop_assert_eq!(h.length as usize, out.len() - FRAME_HEADER_LEN);
        let g = Frame::decode(&h, &out[FRAME_HEADER_LEN..]).unwrap();
        prop_assert_eq!(g, f);
    }

    #[test]
    fn decode_arbitrary_frames_never_panics(hdr in proptest::collection::vec(any::<u8>(), 9), payload in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut h = FrameHeader::parse(&hdr).unwrap();
        h.length = payload.len() as u32;
        let _ = Frame::decode(&h, &payload);
    }

    #[test]
    fn arbitrary_bytes_after_preface_are_bounded(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..20)) {
        let mut c = Connection::new(Config::default(), viper_core::Instant::ZERO);
        let mut b = PREFACE.to_vec();
        b.extend(settings(&[]));
        prop_assert_eq!(c.receive(&b), b.len());
        let mut out = 0usize;
        for ch in &chunks {
            let mut rest = &ch[..];
            for _ in 0..100 {
                if rest.is_empty() { break; }
                let n = c.receive(rest);
                rest = &rest[n..];
                while c.poll_event().is_some() {}
                while let Some(t) = c.poll_transmit() { let n = t.len(); out += n; c.advance_transmit(n); }
            }
        }
        prop_assert!(out < 1 << 20);
        prop_assert!(c.open_streams() <= 100);
    }

    #[test]
    fn split_points_do_not_change_behaviour(seed in any::<u64>(), n in 1usize..20) {
        let build = |c: &mut Client| {
            let mut b = Vec::new();
            for i in 0..n as u32 {
                let id = 2 * i + 1;
                b.extend(c.post(id, "/u"));
                b.extend(data(id, &vec![i as u8; 1000 + i as usize * 7], i % 2 == 0));
                if i % 2 == 1 {
                    b.extend(c.headers(id, &[("x-trailer", "t")], true));
                }
                if i % 5 == 3 {
                    b.extend(ping([i as u8; 8]));
                }
            }
            b
        };
        let mut a = Client::handshake(Config::default());
        let ba = build(&mut a);
        a.feed(&ba, Split::Whole);
        let mut r = Client::handshake(Config::default());
        let br = build(&mut r);
        r.feed(&br, Split::Random(seed | 1));
        prop_assert_eq!(&a.events, &r.events);
        let kinds = |c: &Client| c.frames.iter().filter(|f| f.kind != 8).map(|f| (f.kind, f.stream_id, f.payload.clone())).collect::<Vec<_>>();
        prop_assert_eq!(kinds(&a), kinds(&r));
    }
}
