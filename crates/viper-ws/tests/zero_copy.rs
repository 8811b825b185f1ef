//! Zero-copy paths. Receive: `receive_in_place` hands whole data frames out
//! borrowed from the input buffer (unmasked in place, no allocation);
//! everything else behaves exactly as with `receive` — checked by a
//! differential proptest over random frame sequences at random splits, both
//! roles, plus explicit error cases and a counting allocator. Send: a warm
//! connection writes header and (masked) payload straight into its output
//! buffer, allocating nothing.
mod common;
use common::*;
use proptest::prelude::*;
use viper_ws::{
    CloseCode, Config, DataKind, Error, Event, MessageRef, Negotiated, Role, State, WebSocket,
};

// ------------------------------------------------------------ counting allocator

#[global_allocator]
static A: viper_test_alloc::Counting = viper_test_alloc::Counting;

/// Allocations (and reallocations) made on this thread while `f` runs.
fn allocs_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let (v, c) = viper_test_alloc::count(f);
    (v, c.allocations)
}

fn receiver(role: Role, cfg: Config, n: &Negotiated) -> WebSocket {
    match role {
        Role::Server => WebSocket::server(cfg, n),
        Role::Client => WebSocket::client(cfg, n, 99),
    }
}

/// A frame as the peer of `role` sends it (masked towards a server).
fn peer_frame(role: Role, b0: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    match role {
        Role::Server => frame(b0, payload, Some(key)),
        Role::Client => frame(b0, payload, None),
    }
}

// ------------------------------------------------------------ no allocation

#[test]
fn whole_messages_come_out_borrowed_without_allocating() {
    for role in [Role::Server, Role::Client] {
        for (b0, payload) in [
            (
                0x82u8,
                (0..1000u32).map(|i| (i * 7) as u8).collect::<Vec<u8>>(),
            ),
            (0x81, "κόσμε, hello ".repeat(40).into_bytes()),
            (0x82, vec![0xab; 70_000]),
            (0x81, Vec::new()),
        ] {
            let mut ws = receiver(role, Config::default(), &Negotiated::default());
            let mut wire = peer_frame(role, b0, &payload, KEY);
            let wire_len = wire.len();
            let base = wire.as_ptr();
            let ((used, msg), n) = allocs_during(|| ws.receive_in_place(&mut wire));
            assert_eq!(n, 0, "{role:?}: receive_in_place allocated {n} times");
            assert_eq!(used, wire_len);
            let msg = msg.expect("a whole frame comes out borrowed");
            assert_eq!(msg.as_bytes(), &payload[..]);
            assert_eq!(
                msg.kind(),
                if b0 == 0x81 {
                    DataKind::Text
                } else {
                    DataKind::Binary
                }
            );
            // The slice is the payload's place in the input buffer: no copy.
            let hdr = wire_len - payload.len();
            assert_eq!(msg.as_bytes().as_ptr(), base.wrapping_add(hdr));
            assert_eq!(ws.poll_event(), None);

            // The counter does see allocations: `receive` copies the payload
            // into an owned message.
            let mut ws = receiver(role, Config::default(), &Negotiated::default());
            let wire = peer_frame(role, b0, &payload, KEY);
            let (_, n) = allocs_during(|| ws.receive(&wire));
            assert!(n >= 1, "receive allocated nothing?");
        }
    }
}

#[test]
fn many_whole_messages_in_one_buffer_allocate_nothing() {
    for role in [Role::Server, Role::Client] {
        let mut ws = receiver(role, Config::default(), &Negotiated::default());
        let mut wire = Vec::new();
        for i in 0..100u8 {
            wire.extend(peer_frame(role, 0x82, &[i; 16], [i, 1, 2, 3]));
        }
        let (got, n) = allocs_during(|| {
            let mut got = 0usize;
            let mut rest = &mut wire[..];
            while !rest.is_empty() {
                let (used, msg) = ws.receive_in_place(rest);
                if let Some(MessageRef::Binary(b)) = msg {
                    assert_eq!(b, &[got as u8; 16]);
                    got += 1;
                }
                rest = &mut rest[used..];
            }
            got
        });
        assert_eq!((got, n), (100, 0), "{role:?}");
    }
}

#[test]
fn the_message_borrows_the_buffer_not_the_connection() {
    // An echo without copying: send from the borrowed slice.
    let mut s = server();
    let mut wire = cframe(0x81, b"echo me");
    let len = wire.len();
    let (used, msg) = s.receive_in_place(&mut wire);
    assert_eq!(used, len);
    let Some(MessageRef::Text(t)) = msg else {
        panic!("expected text");
    };
    s.send_text(t).unwrap();
    assert_eq!(out(&mut s), sframe(0x81, b"echo me"));
}

#[test]
fn other_frames_are_left_untouched_and_go_to_poll_event() {
    // A fragmented message, a ping, then a whole message.
    let mut s = server_with(Config::default());
    let mut wire = cframe(0x01, b"frag");
    wire.extend(cframe(0x89, b"hi"));
    wire.extend(cframe(0x80, b"ment"));
    let first_len = wire.len();
    wire.extend(cframe(0x82, b"whole"));
    let orig = wire.clone();

    let (used, msg) = s.receive_in_place(&mut wire);
    // Stops in front of the whole frame: the ping and the text must be seen first.
    assert_eq!((used, msg), (first_len, None));
    assert_eq!(&wire[..], &orig[..], "nothing unmasked in place yet");
    assert_eq!(s.poll_event(), Some(Event::Ping(b"hi".to_vec())));
    assert_eq!(s.poll_event(), Some(Event::Text("fragment".into())));
    assert_eq!(s.poll_event(), None);
    assert_eq!(out(&mut s), sframe(0x8a, b"hi"), "auto-pong");

    let (used2, msg) = s.receive_in_place(&mut wire[used..]);
    assert_eq!(used2, orig.len() - first_len);
    assert_eq!(msg, Some(MessageRef::Binary(b"whole")));
}

#[test]
fn sending_writes_straight_into_the_output_buffer_without_allocating() {
    for role in [Role::Server, Role::Client] {
        let mut ws = receiver(role, Config::default(), &Negotiated::default());
        let payload: Vec<u8> = (0..1000u32).map(|i| (i * 13) as u8).collect();
        // Warm up: the output buffer grows once and keeps its capacity.
        ws.send_binary(&payload).unwrap();
        let n = ws.poll_transmit().unwrap().len();
        ws.advance_transmit(n);
        for size in [0usize, 16, 63, 64, 1000] {
            let ((), allocs) = allocs_during(|| ws.send_binary(&payload[..size]).unwrap());
            assert_eq!(allocs, 0, "{role:?}: send_binary({size}) allocated");
            let wire = ws.poll_transmit().unwrap().to_vec();
            let hdr = if size < 126 { 2 } else { 4 };
            match role {
                Role::Server => assert_eq!(wire, sframe(0x82, &payload[..size])),
                Role::Client => {
                    // Header, key, then the payload masked with that key.
                    let key = [wire[hdr], wire[hdr + 1], wire[hdr + 2], wire[hdr + 3]];
                    assert_eq!(wire, frame(0x82, &payload[..size], Some(key)));
                }
            }
            ws.advance_transmit(wire.len());
        }
    }
}

// ------------------------------------------------------------ errors as with `receive`

/// Feeds `wire` to two fresh connections, one per API, and checks they agree
/// on events, bytes written and final state; returns the events and output.
fn both(role: Role, cfg: Config, wire: &[u8]) -> (Vec<Event>, Vec<u8>) {
    let n = Negotiated::default();
    let mut a = receiver(role, cfg, &n);
    let mut b = receiver(role, cfg, &n);
    let ea = feed(&mut a, wire);
    let mut copy = wire.to_vec();
    let (eb, _) = feed_in_place(&mut b, &mut copy);
    let (oa, ob) = (out(&mut a), out(&mut b));
    assert_eq!(ea, eb);
    assert_eq!(oa, ob);
    assert_eq!(a.state(), b.state());
    (ea, oa)
}

fn close_from(role: Role, code: u16) -> Vec<u8> {
    match role {
        // A server's close frame is unmasked.
        Role::Server => close_bytes(code),
        // A client masks with its own key: compare only the unmasked header bits.
        Role::Client => Vec::new(),
    }
}

fn assert_closed_with(role: Role, o: &[u8], code: u16) {
    if role == Role::Server {
        assert_eq!(o, close_from(role, code));
    } else {
        // Client close frame: 0x88, masked, length 2, key, masked code.
        assert_eq!(&o[..2], &[0x88, 0x82]);
        let k = [o[2], o[3], o[4], o[5]];
        assert_eq!([o[6] ^ k[0], o[7] ^ k[1]], code.to_be_bytes());
    }
}

#[test]
fn invalid_utf8_in_a_whole_text_is_1007() {
    for role in [Role::Server, Role::Client] {
        for bad in [&[0xffu8][..], b"ok\xed\xa0\x80", b"cut \xe2\x82"] {
            let mut wire = peer_frame(role, 0x82, b"fine", KEY);
            wire.extend(peer_frame(role, 0x81, bad, KEY));
            wire.extend(peer_frame(role, 0x81, b"after", KEY));
            let (evs, o) = both(role, Config::default(), &wire);
            assert_eq!(
                evs,
                vec![
                    Event::Binary(b"fine".to_vec()),
                    Event::Error(Error::InvalidUtf8)
                ]
            );
            assert_closed_with(role, &o, 1007);
        }
    }
}

#[test]
fn oversize_whole_frames_and_messages_are_1009() {
    for role in [Role::Server, Role::Client] {
        let cfg = Config {
            max_frame_size: 1000,
            max_message_size: 500,
            ..Config::default()
        };
        // Over max_frame_size.
        let (evs, o) = both(role, cfg, &peer_frame(role, 0x82, &[1; 1001], KEY));
        assert_eq!(evs, vec![Event::Error(Error::FrameTooLarge)]);
        assert_closed_with(role, &o, 1009);
        // Within the frame limit, over the message limit.
        let (evs, o) = both(role, cfg, &peer_frame(role, 0x81, &[b'a'; 501], KEY));
        assert_eq!(evs, vec![Event::Error(Error::MessageTooLarge)]);
        assert_closed_with(role, &o, 1009);
        // Exactly at the limit is fine.
        let mut wire = peer_frame(role, 0x81, &[b'a'; 500], KEY);
        let mut ws = receiver(role, cfg, &Negotiated::default());
        let (_, msg) = ws.receive_in_place(&mut wire);
        assert_eq!(msg, Some(MessageRef::Text(&"a".repeat(500))));
    }
}

#[test]
fn protocol_errors_on_would_be_fast_frames_are_1002() {
    for role in [Role::Server, Role::Client] {
        // Wrong masking for the role.
        let wrong = match role {
            Role::Server => frame(0x82, b"x", None),
            Role::Client => frame(0x82, b"x", Some(KEY)),
        };
        // RSV1 without permessage-deflate; RSV2; non-minimal 16-bit length.
        let rsv1 = peer_frame(role, 0xc2, b"x", KEY);
        let rsv2 = peer_frame(role, 0xa2, b"x", KEY);
        let mut nonmin = vec![0x82, if role == Role::Server { 0xfe } else { 0x7e }, 0, 5];
        if role == Role::Server {
            nonmin.extend_from_slice(&[0; 4]);
        }
        nonmin.extend_from_slice(b"hello");
        // A new message while a fragmented one is in progress.
        let mut interleaved = peer_frame(role, 0x01, b"a", KEY);
        interleaved.extend(peer_frame(role, 0x81, b"b", KEY));
        for (wire, err) in [
            (
                wrong,
                if role == Role::Server {
                    Error::UnmaskedFrame
                } else {
                    Error::MaskedFrame
                },
            ),
            (rsv1, Error::ReservedBits),
            (rsv2, Error::ReservedBits),
            (nonmin, Error::NonMinimalLength),
            (interleaved, Error::ExpectedContinuation),
        ] {
            let (evs, o) = both(role, Config::default(), &wire);
            assert_eq!(evs, vec![Event::Error(err)], "{role:?}");
            assert_closed_with(role, &o, 1002);
        }
    }
}

#[test]
fn closing_state_drops_whole_messages_too() {
    for role in [Role::Server, Role::Client] {
        let n = Negotiated::default();
        let mut ws = receiver(role, Config::default(), &n);
        ws.send_close(CloseCode::NORMAL, "bye").unwrap();
        let _ = out(&mut ws);
        let mut wire = peer_frame(role, 0x82, b"dropped", KEY);
        wire.extend(peer_frame(role, 0x88, &1000u16.to_be_bytes(), KEY));
        let (evs, borrowed) = feed_in_place(&mut ws, &mut wire);
        assert_eq!(borrowed, 0);
        assert_eq!(
            evs,
            vec![Event::Close {
                code: CloseCode::NORMAL,
                reason: String::new()
            }]
        );
        assert_eq!(ws.state(), State::Closed);
        assert_eq!(out(&mut ws), Vec::<u8>::new(), "our close was already sent");
    }
}

// ------------------------------------------------------------ differential proptest

/// One thing the peer puts on the wire.
#[derive(Clone, Debug)]
enum Item {
    /// A whole single-frame text message.
    Text(String),
    /// A whole single-frame binary message.
    Binary(Vec<u8>),
    /// A message in fragments (cut at the given per-mille positions, even
    /// inside a code point), with a ping after fragment `ping_after`.
    Fragmented {
        text: bool,
        data: Vec<u8>,
        cuts: Vec<u16>,
        ping_after: Option<u8>,
    },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// Sent compressed by a real encoder when deflate is negotiated (plain
    /// otherwise).
    Compressed(String),
    /// A text frame whose payload is not UTF-8.
    BadText(Vec<u8>),
    /// A binary frame of exactly this many bytes (may exceed the limits).
    Sized(usize),
    /// The peer's close frame.
    Close(u16),
    /// Arbitrary bytes.
    Garbage(Vec<u8>),
}

fn item() -> impl Strategy<Value = Item> {
    let bytes = |n| proptest::collection::vec(any::<u8>(), 0..n);
    prop_oneof![
        4 => any::<String>().prop_map(Item::Text),
        2 => "[a-z ]{100,400}".prop_map(Item::Text),
        4 => bytes(300).prop_map(Item::Binary),
        1 => bytes(70_000usize).prop_filter("big", |b| b.len() > 65_536 || b.len() < 200).prop_map(Item::Binary),
        3 => (any::<bool>(), bytes(600), proptest::collection::vec(0u16..=1000, 1..4), proptest::option::of(any::<u8>()))
            .prop_map(|(text, data, cuts, ping_after)| Item::Fragmented { text, data, cuts, ping_after }),
        2 => bytes(126).prop_map(Item::Ping),
        1 => bytes(126).prop_map(Item::Pong),
        2 => "[a-c]{0,200}".prop_map(Item::Compressed),
        1 => bytes(50).prop_filter("not utf-8", |b| std::str::from_utf8(b).is_err()).prop_map(Item::BadText),
        1 => (250usize..1300).prop_map(Item::Sized),
        1 => prop_oneof![Just(1000u16), Just(1001), Just(3000), Just(1005), Just(999)].prop_map(Item::Close),
        1 => bytes(12).prop_map(Item::Garbage),
    ]
}

/// Builds the wire bytes for `items` as the peer of `role` would send them.
/// `keys` supplies masking keys (server side receives masked frames).
fn build_wire(
    role: Role,
    items: &[Item],
    deflate: bool,
    keys: &mut impl Iterator<Item = [u8; 4]>,
) -> Vec<u8> {
    let n = if deflate {
        deflate_neg(params())
    } else {
        Negotiated::default()
    };
    // The peer's own encoder, only for compressed messages.
    let mut enc = match role {
        Role::Server => WebSocket::client(Config::default(), &n, 5),
        Role::Client => WebSocket::server(Config::default(), &n),
    };
    let mut key = || keys.next().unwrap_or(KEY);
    let mut wire = Vec::new();
    for it in items {
        match it {
            Item::Text(t) => wire.extend(peer_frame(role, 0x81, t.as_bytes(), key())),
            Item::Binary(b) => wire.extend(peer_frame(role, 0x82, b, key())),
            Item::Fragmented {
                text,
                data,
                cuts,
                ping_after,
            } => {
                let mut pos: Vec<usize> = cuts
                    .iter()
                    .map(|c| usize::from(*c) * data.len() / 1000)
                    .collect();
                pos.sort_unstable();
                pos.push(data.len());
                let mut prev = 0;
                for (i, p) in pos.iter().enumerate() {
                    let last = i == pos.len() - 1;
                    let op = match (i, text) {
                        (0, true) => 0x01,
                        (0, false) => 0x02,
                        _ => 0x00,
                    };
                    let fin = if last { 0x80 } else { 0 };
                    wire.extend(peer_frame(role, op | fin, &data[prev..*p], key()));
                    prev = *p;
                    if !last && ping_after.map(|k| usize::from(k) % pos.len()) == Some(i) {
                        wire.extend(peer_frame(role, 0x89, &[i as u8; 3], key()));
                    }
                }
            }
            Item::Ping(p) => wire.extend(peer_frame(role, 0x89, p, key())),
            Item::Pong(p) => wire.extend(peer_frame(role, 0x8a, p, key())),
            Item::Compressed(t) => {
                enc.send_text(t).unwrap();
                wire.extend(out(&mut enc));
            }
            Item::BadText(b) => wire.extend(peer_frame(role, 0x81, b, key())),
            Item::Sized(len) => wire.extend(peer_frame(role, 0x82, &vec![7; *len], key())),
            Item::Close(code) => wire.extend(peer_frame(role, 0x88, &code.to_be_bytes(), key())),
            Item::Garbage(g) => wire.extend_from_slice(g),
        }
    }
    wire
}

#[allow(clippy::too_many_arguments)]
fn differential(
    role: Role,
    items: &[Item],
    deflate: bool,
    keys: Vec<[u8; 4]>,
    cuts: Vec<u16>,
    max_queued: usize,
    small_limits: bool,
    auto_pong: bool,
    local_close_at: Option<u8>,
) -> Result<(), TestCaseError> {
    let wire = build_wire(role, items, deflate, &mut keys.into_iter());
    let n = if deflate {
        deflate_neg(params())
    } else {
        Negotiated::default()
    };
    let cfg = Config {
        max_queued_events: max_queued,
        max_frame_size: if small_limits { 1000 } else { 1 << 20 },
        max_message_size: if small_limits { 800 } else { 4 << 20 },
        auto_pong,
        ..Config::default()
    };
    let mut a = receiver(role, cfg, &n);
    let mut b = receiver(role, cfg, &n);
    let mut pos: Vec<usize> = cuts
        .iter()
        .map(|c| usize::from(*c) * wire.len() / 1000)
        .collect();
    pos.sort_unstable();
    pos.push(wire.len());
    let mut prev = 0;
    let mut copy = wire.clone();
    for (i, p) in pos.into_iter().enumerate() {
        if local_close_at.map(usize::from) == Some(i) {
            let ra = a.send_close(CloseCode::GOING_AWAY, "x");
            let rb = b.send_close(CloseCode::GOING_AWAY, "x");
            prop_assert_eq!(ra, rb);
        }
        let ea = feed(&mut a, &wire[prev..p]);
        let (eb, _) = feed_in_place(&mut b, &mut copy[prev..p]);
        prop_assert_eq!(ea, eb, "events differ in chunk {}", i);
        prop_assert_eq!(out(&mut a), out(&mut b), "output differs in chunk {}", i);
        prop_assert_eq!(a.state(), b.state());
        prop_assert_eq!(a.poll_timeout(), b.poll_timeout());
        prev = p;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn receive_in_place_is_receive_without_the_copy(
        items in proptest::collection::vec(item(), 0..14),
        server in any::<bool>(),
        deflate in any::<bool>(),
        keys in proptest::collection::vec(any::<[u8; 4]>(), 0..40),
        cuts in proptest::collection::vec(0u16..=1000, 0..8),
        max_queued in prop_oneof![Just(1usize), Just(2), Just(3), Just(64)],
        small_limits in any::<bool>(),
        auto_pong in any::<bool>(),
        local_close_at in proptest::option::of(0u8..10),
    ) {
        let role = if server { Role::Server } else { Role::Client };
        differential(role, &items, deflate, keys, cuts, max_queued, small_limits, auto_pong, local_close_at)?;
    }
}

/// The property's generator does reach the fast path, and with enough
/// whole frames in plain runs most messages take it.
#[test]
fn whole_frames_in_a_mixed_stream_take_the_fast_path() {
    for role in [Role::Server, Role::Client] {
        let items = [
            Item::Text("one".into()),
            Item::Ping(vec![1]),
            Item::Binary(vec![2; 300]),
            Item::Fragmented {
                text: true,
                data: "fragmented ✓".into(),
                cuts: vec![500],
                ping_after: Some(0),
            },
            Item::Text("two".into()),
        ];
        let mut wire = build_wire(role, &items, false, &mut std::iter::empty());
        let mut ws = receiver(role, Config::default(), &Negotiated::default());
        let (evs, borrowed) = feed_in_place(&mut ws, &mut wire);
        assert_eq!(borrowed, 3, "{evs:?}");
        assert_eq!(
            evs,
            vec![
                Event::Text("one".into()),
                Event::Ping(vec![1]),
                Event::Binary(vec![2; 300]),
                Event::Ping(vec![0; 3]),
                Event::Text("fragmented ✓".into()),
                Event::Text("two".into()),
            ]
        );
    }
}

// ------------------------------------------------------------ holding cut frames back

/// A caller with a fixed read buffer of `cap` bytes that reads `wire` in the
/// given chunk sizes and, when the buffer ends with the start of a frame
/// that `in_place_frame_len` says would come out borrowed and fits, keeps
/// it for the next read. Returns the events (borrowed ones as owned) and how
/// many came out borrowed.
fn read_holding_back(
    ws: &mut WebSocket,
    wire: &[u8],
    cap: usize,
    reads: &[usize],
) -> (Vec<Event>, usize) {
    let mut buf = vec![0u8; cap];
    let mut filled = 0;
    let mut p = 0;
    let mut evs = Vec::new();
    let mut borrowed = 0;
    for r in 0.. {
        let want = reads[r % reads.len()].max(1);
        let k = want.min(cap - filled).min(wire.len() - p);
        buf[filled..filled + k].copy_from_slice(&wire[p..p + k]);
        filled += k;
        p += k;
        let mut start = 0;
        while start < filled {
            let rest = &mut buf[start..filled];
            if let Some(n) = ws.in_place_frame_len(rest) {
                if n > rest.len() && n <= cap && p < wire.len() {
                    break; // keep it, read more
                }
            }
            let (used, msg) = ws.receive_in_place(rest);
            if let Some(m) = msg {
                borrowed += 1;
                evs.push(m.to_event());
            }
            evs.extend(std::iter::from_fn(|| ws.poll_event()));
            start += used;
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
        if p == wire.len() && filled == 0 {
            break;
        }
        assert!(r < 10 * wire.len() + 10, "no progress");
    }
    (evs, borrowed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// With the read buffer at least as large as every frame, every data
    /// message comes out borrowed however the reads split the stream, and
    /// the events are those `receive` reports.
    #[test]
    fn holding_cut_frames_back_makes_every_message_borrowed(
        msgs in proptest::collection::vec(
            prop_oneof![
                any::<String>().prop_map(Item::Text),
                proptest::collection::vec(any::<u8>(), 0..1500).prop_map(Item::Binary),
                proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Item::Ping),
            ],
            0..20,
        ),
        server in any::<bool>(),
        keys in proptest::collection::vec(any::<[u8; 4]>(), 0..20),
        reads in proptest::collection::vec(1usize..3000, 1..6),
    ) {
        let role = if server { Role::Server } else { Role::Client };
        let wire = build_wire(role, &msgs, false, &mut keys.into_iter());
        let data_msgs = msgs.iter().filter(|m| !matches!(m, Item::Ping(_))).count();
        // Largest frame: 1499 bytes of payload + 8 of header.
        let cap = 1507;
        let mut a = receiver(role, Config::default(), &Negotiated::default());
        let mut b = receiver(role, Config::default(), &Negotiated::default());
        let expect = feed(&mut a, &wire);
        let (got, borrowed) = read_holding_back(&mut b, &wire, cap, &reads);
        prop_assert_eq!(got, expect);
        prop_assert_eq!(borrowed, data_msgs);
        prop_assert_eq!(out(&mut a), out(&mut b));
    }
}

#[test]
fn in_place_frame_len_says_no_to_what_will_not_come_out_borrowed() {
    let n = Negotiated::default();
    let s = WebSocket::server(Config::default(), &n);
    let c = WebSocket::client(Config::default(), &n, 1);
    // Unmasked to a server, masked to a client, a fragment, a continuation,
    // RSV1, a ping, a non-minimal length.
    for f in [
        frame(0x82, b"x", None),
        frame(0x02, b"x", Some(KEY)),
        frame(0x80, b"x", Some(KEY)),
        frame(0xc2, b"x", Some(KEY)),
        frame(0x89, b"x", Some(KEY)),
        vec![0x82, 0xfe, 0, 5, 1, 2, 3, 4],
    ] {
        assert_eq!(s.in_place_frame_len(&f), None, "{f:?}");
    }
    assert_eq!(c.in_place_frame_len(&frame(0x81, b"x", Some(KEY))), None);
    assert_eq!(c.in_place_frame_len(&frame(0x81, b"xy", None)), Some(4));
    // 16- and 64-bit lengths: the header first, then the whole frame.
    let f = frame(0x82, &[0; 300], Some(KEY));
    assert_eq!(s.in_place_frame_len(&f[..3]), Some(8));
    assert_eq!(s.in_place_frame_len(&f[..8]), Some(308));
    let f = frame(0x82, &[0; 70_000], None);
    assert_eq!(c.in_place_frame_len(&f[..2]), Some(10));
    assert_eq!(c.in_place_frame_len(&f[..10]), Some(70_010));
    // Over a limit: left to the general path (which answers 1009).
    let small = WebSocket::client(
        Config {
            max_message_size: 100,
            ..Config::default()
        },
        &n,
        1,
    );
    assert_eq!(
        small.in_place_frame_len(&frame(0x82, &[0; 101], None)),
        None
    );
    // Inside a frame: no longer at a frame boundary.
    let mut mid = WebSocket::client(Config::default(), &n, 1);
    mid.receive(&frame(0x82, &[0; 10], None)[..5]);
    assert_eq!(mid.in_place_frame_len(&frame(0x82, b"x", None)), None);
}
