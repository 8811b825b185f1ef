//! HTTP/2 request bodies with per-stream backpressure (`config.h2.auto_release =
//! false` + `Connection::release_body`): a stream whose body is never consumed closes
//! its own receive window and nothing else; another stream on the same connection
//! uploads many windows' worth and gets its answer, however many other bodies are
//! unread (more than the connection window holds); an abandoned, reset or cancelled
//! body ends cleanly and leaves the connection window open.

use std::collections::HashMap;

use viper_hpack::{Decoder, DecoderConfig, Encoder, EncoderConfig, Header};
use viper_server::{Body, Config, Connection, Event, Instant};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const SLOW: u32 = 1;
const FAST: u32 = 3;

fn frame(ty: u8, flags: u8, sid: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(9 + payload.len());
    f.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    f.push(ty);
    f.push(flags);
    f.extend_from_slice(&sid.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// A client that keeps to the server's flow-control windows, as RFC 9113 §6.9 says.
struct Client {
    enc: Encoder,
    dec: Decoder,
    /// Bytes the server has not taken yet.
    pending: Vec<u8>,
    /// Server output not parsed yet (a frame may be cut).
    inbuf: Vec<u8>,
    initial: i64,
    conn_window: i64,
    windows: HashMap<u32, i64>,
    sent: HashMap<u32, usize>,
    stream_window_updates: HashMap<u32, u32>,
    /// Response status and body bytes per stream.
    responses: HashMap<u32, (String, Vec<u8>)>,
    ended: Vec<u32>,
}

impl Client {
    fn new() -> Self {
        let mut pending = PREFACE.to_vec();
        pending.extend(frame(4, 0, 0, &[]));
        Client {
            enc: Encoder::new(EncoderConfig::default()),
            dec: Decoder::new(DecoderConfig::default()),
            pending,
            inbuf: Vec::new(),
            initial: 65_535,
            conn_window: 65_535,
            windows: HashMap::new(),
            sent: HashMap::new(),
            stream_window_updates: HashMap::new(),
            responses: HashMap::new(),
            ended: Vec::new(),
        }
    }

    fn open(&mut self, sid: u32, path: &str) {
        let mut block = Vec::new();
        let fields = [
            (":method", "POST"),
            (":scheme", "http"),
            (":authority", "h"),
            (":path", path),
        ];
        self.enc.encode(
            fields
                .iter()
                .map(|(n, v)| Header::new(n.as_bytes(), v.as_bytes())),
            &mut block,
        );
        self.pending.extend(frame(1, 0x4, sid, &block));
        self.windows.insert(sid, self.initial);
        self.sent.insert(sid, 0);
    }

    /// Sends up to `total` body bytes on `sid` as far as the windows allow (END_STREAM
    /// with the last one); `true` once everything is sent.
    fn send_body(&mut self, sid: u32, total: usize) -> bool {
        loop {
            let sent = self.sent[&sid];
            if sent >= total {
                return true;
            }
            let room = self.windows[&sid].min(self.conn_window).min(16_384);
            if room <= 0 {
                return false;
            }
            let n = (room as usize).min(total - sent);
            let end = sent + n == total;
            let payload: Vec<u8> = (sent..sent + n).map(|i| (i % 251) as u8).collect();
            self.pending.extend(frame(0, u8::from(end), sid, &payload));
            *self.windows.get_mut(&sid).unwrap() -= n as i64;
            self.conn_window -= n as i64;
            *self.sent.get_mut(&sid).unwrap() += n;
        }
    }

    /// Offers the pending bytes; keeps what the server did not take (backpressure).
    fn push(&mut self, c: &mut Connection) {
        let n = c.receive(&self.pending);
        self.pending.drain(..n);
    }

    /// Reads the server's output: windows, SETTINGS (acknowledged), responses.
    fn pull(&mut self, c: &mut Connection) {
        while let Some(b) = c.poll_transmit() {
            let n = b.len();
            self.inbuf.extend_from_slice(b);
            c.advance_transmit(n);
        }
        loop {
            if self.inbuf.len() < 9 {
                return;
            }
            let b = &self.inbuf;
            let len = u32::from_be_bytes([0, b[0], b[1], b[2]]) as usize;
            if b.len() < 9 + len {
                return;
            }
            let (ty, flags) = (b[3], b[4]);
            let sid = u32::from_be_bytes([b[5], b[6], b[7], b[8]]) & 0x7fff_ffff;
            let p = b[9..9 + len].to_vec();
            self.inbuf.drain(..9 + len);
            match ty {
                0 => {
                    self.responses.entry(sid).or_default().1.extend(&p);
                    if flags & 1 == 1 {
                        self.ended.push(sid);
                    }
                }
                1 => {
                    let mut status = String::new();
                    self.dec
                        .decode(&p, |h| {
                            if h.name == b":status" {
                                status = String::from_utf8_lossy(h.value).into_owned();
                            }
                        })
                        .expect("valid HPACK from the server");
                    self.responses.entry(sid).or_default().0 = status;
                    if flags & 1 == 1 {
                        self.ended.push(sid);
                    }
                }
                4 if flags & 1 == 0 => {
                    for e in p.chunks_exact(6) {
                        if u16::from_be_bytes([e[0], e[1]]) == 4 {
                            let v = i64::from(u32::from_be_bytes([e[2], e[3], e[4], e[5]]));
                            for w in self.windows.values_mut() {
                                *w += v - self.initial;
                            }
                            self.initial = v;
                        }
                    }
                    self.pending.extend(frame(4, 1, 0, &[]));
                }
                7 => panic!("GOAWAY from the server: {p:?}"),
                8 => {
                    let inc = u32::from_be_bytes([p[0], p[1], p[2], p[3]]) & 0x7fff_ffff;
                    if sid == 0 {
                        self.conn_window += i64::from(inc);
                    } else {
                        *self.stream_window_updates.entry(sid).or_default() += inc;
                        if let Some(w) = self.windows.get_mut(&sid) {
                            *w += i64::from(inc);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// How the slow stream's body ends once the fast upload is answered.
#[derive(Clone, Copy, Debug)]
enum SlowEnd {
    /// The application says it will not read it.
    Discard,
    /// The client sends RST_STREAM.
    PeerReset,
    /// The application cancels the request.
    AppReset,
}

#[derive(Default)]
struct App {
    slow_received: usize,
    fast_received: usize,
    fast_ended: bool,
}

/// A server connection with `config`, its client's preface and SETTINGS exchanged.
fn start(config: Config) -> (Connection, Client, App) {
    let mut c = Connection::new(config, Instant::ZERO);
    let mut cl = Client::new();
    let mut app = App::default();
    cl.push(&mut c);
    serve(&mut c, &mut app);
    cl.pull(&mut c);
    (c, cl, app)
}

/// Polls events the way an application would that never reads the slow body and
/// consumes (releases) the fast one, answering it once complete.
fn serve(c: &mut Connection, app: &mut App) {
    while let Some(ev) = c.poll_event() {
        match ev {
            Event::Data { id: FAST, data } => {
                app.fast_received += data.len();
                c.release_body(FAST, data.len());
            }
            // Every other stream is a slow one.
            Event::Data { data, .. } => app.slow_received += data.len(),
            Event::End { id: FAST, .. } => {
                app.fast_ended = true;
                let body = app.fast_received.to_string();
                c.send_response(
                    FAST,
                    200,
                    &[] as &[(&str, &str)],
                    Body::Full(body.as_bytes()),
                )
                .unwrap();
            }
            Event::Closed { reason } => panic!("connection closed: {reason:?}"),
            _ => {}
        }
    }
}

fn slow_stream_does_not_block_fast_upload(config: Config, fast_total: usize, end: SlowEnd) {
    let stream_window = config.h2.initial_window_size as usize;
    let conn_window = i64::from(config.h2.connection_window_size);
    let (mut c, mut cl, mut app) = start(config);
    cl.open(SLOW, "/slow");
    cl.open(FAST, "/fast");
    // The slow stream is always served first: it takes all the window it can get.
    let mut rounds = 0;
    while !cl.ended.contains(&FAST) {
        rounds += 1;
        assert!(
            rounds < 100_000,
            "no progress: {} fast bytes",
            app.fast_received
        );
        cl.send_body(SLOW, usize::MAX);
        cl.send_body(FAST, fast_total);
        cl.push(&mut c);
        serve(&mut c, &mut app);
        cl.pull(&mut c);
    }
    assert!(app.fast_ended);
    assert_eq!(app.fast_received, fast_total);
    assert_eq!(cl.responses[&FAST].0, "200");
    assert_eq!(cl.responses[&FAST].1, fast_total.to_string().as_bytes());
    // The slow stream got exactly its window and not one byte more: no WINDOW_UPDATE
    // for it, no response, and the client cannot send on it.
    assert_eq!(app.slow_received, stream_window);
    assert_eq!(cl.sent[&SLOW], stream_window);
    assert_eq!(cl.windows[&SLOW], 0);
    assert_eq!(cl.stream_window_updates.get(&SLOW), None);
    assert!(!cl.responses.contains_key(&SLOW));

    // However the body ends, the connection window is left open.
    match end {
        SlowEnd::Discard => c.discard_body(SLOW),
        SlowEnd::PeerReset => cl.pending.extend(frame(3, 0, SLOW, &8u32.to_be_bytes())),
        SlowEnd::AppReset => c.reset(SLOW).unwrap(),
    }
    cl.push(&mut c);
    serve(&mut c, &mut app);
    cl.pull(&mut c);
    // The server credits the connection window back in steps of half a window, so
    // up to half of it may still be pending; had the slow stream's bytes been kept
    // out of it for good, the client's view could not exceed the other half.
    assert!(
        cl.conn_window > conn_window / 2,
        "{end:?}: connection window {} of {conn_window}",
        cl.conn_window
    );
    // After a discard the client may go on sending the slow body: it is credited
    // back as it arrives (never delivered), so it completes.
    if let SlowEnd::Discard = end {
        let before = app.slow_received;
        let total = cl.sent[&SLOW] + 3 * stream_window;
        let mut rounds = 0;
        while !cl.send_body(SLOW, total) {
            rounds += 1;
            assert!(rounds < 100_000, "discarded body stalled");
            cl.push(&mut c);
            serve(&mut c, &mut app);
            cl.pull(&mut c);
        }
        cl.push(&mut c);
        serve(&mut c, &mut app);
        cl.pull(&mut c);
        assert!(cl.pending.is_empty());
        assert_eq!(
            app.slow_received, before,
            "discarded bytes are not delivered"
        );
        assert!(cl.conn_window > conn_window / 2);
    }
}

fn manual() -> Config {
    let mut config = Config::default();
    config.h2.auto_release = false;
    config
}

#[test]
fn h2_unread_body_does_not_stall_other_streams_default_windows() {
    // Defaults: 256 KiB per stream, 1 MiB for the connection; 3 MiB upload.
    slow_stream_does_not_block_fast_upload(manual(), 3 << 20, SlowEnd::Discard);
}

#[test]
fn h2_unread_body_small_windows_each_ending() {
    // 64 KiB per stream, 128 KiB for the connection: the slow stream holds half the
    // connection window while 1 MiB (16 stream windows) goes through the other half.
    for end in [SlowEnd::Discard, SlowEnd::PeerReset, SlowEnd::AppReset] {
        let mut config = manual();
        config.h2.initial_window_size = 64 * 1024;
        config.h2.connection_window_size = 128 * 1024;
        slow_stream_does_not_block_fast_upload(config, 1 << 20, end);
    }
}

#[test]
fn h2_release_body_is_what_reopens_the_window() {
    let mut config = manual();
    config.h2.initial_window_size = 64 * 1024;
    let (mut c, mut cl, mut app) = start(config);
    cl.open(SLOW, "/slow");
    // Fill the stream window; nothing is released, so nothing reopens it.
    for _ in 0..4 {
        cl.send_body(SLOW, usize::MAX);
        cl.push(&mut c);
        serve(&mut c, &mut app);
        cl.pull(&mut c);
    }
    assert_eq!(app.slow_received, 64 * 1024);
    assert_eq!(cl.windows[&SLOW], 0);
    // Releasing less than half a window is not worth a WINDOW_UPDATE yet; more is.
    c.release_body(SLOW, 1000);
    cl.pull(&mut c);
    assert_eq!(cl.windows[&SLOW], 0);
    c.release_body(SLOW, 40_000);
    cl.pull(&mut c);
    assert_eq!(cl.windows[&SLOW], 41_000);
    // Releasing more than was delivered is clamped to what is held (24 536 bytes,
    // still under half a window), not refused.
    c.release_body(SLOW, 1 << 30);
    cl.pull(&mut c);
    assert_eq!(cl.windows[&SLOW], 41_000);
    cl.send_body(SLOW, usize::MAX);
    cl.push(&mut c);
    serve(&mut c, &mut app);
    cl.pull(&mut c);
    assert_eq!(app.slow_received, 64 * 1024 + 41_000);
    c.release_body(SLOW, 41_000);
    cl.pull(&mut c);
    assert_eq!(cl.windows[&SLOW], 64 * 1024, "both releases credited");
    // On a connection in automatic mode release_body changes nothing.
    let mut auto = Connection::new(Config::default(), Instant::ZERO);
    auto.release_body(1, 100);
    assert_eq!(auto.poll_transmit(), None);
}

#[test]
fn has_body_tells_requests_without_a_body_apart() {
    let mut c = Connection::new(manual(), Instant::ZERO);
    let mut cl = Client::new();
    let mut block = Vec::new();
    cl.enc.encode(
        [
            (":method", "GET"),
            (":scheme", "http"),
            (":authority", "h"),
            (":path", "/"),
        ]
        .iter()
        .map(|(n, v)| Header::new(n.as_bytes(), v.as_bytes())),
        &mut block,
    );
    cl.pending.extend(frame(1, 0x5, 1, &block));
    cl.open(FAST, "/post");
    cl.push(&mut c);
    let mut seen = Vec::new();
    while let Some(ev) = c.poll_event() {
        if let Event::Request(r) = &ev {
            seen.push((r.id, c.has_body(r.id)));
        }
    }
    assert_eq!(seen, [(1, false), (FAST, true)]);
    cl.pull(&mut c);
    cl.send_body(FAST, 10);
    cl.push(&mut c);
    let mut ended = false;
    while let Some(ev) = c.poll_event() {
        if let Event::End { id: FAST, .. } = ev {
            ended = true;
        }
    }
    assert!(ended);
    assert!(!c.has_body(FAST));
    assert!(!c.has_body(99));
    // HTTP/1.1: until the End event.
    let mut h1 = Connection::new(Config::default(), Instant::ZERO);
    h1.receive(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n");
    let Some(Event::Request(r)) = h1.poll_event() else {
        panic!("request expected")
    };
    assert!(h1.has_body(r.id));
    h1.receive(b"abc");
    while h1.poll_event().is_some() {}
    assert!(!h1.has_body(r.id));
}

/// `slow` streams whose bodies are never read, each filling its stream window, then
/// FAST uploads `total` bytes (consumed and released) and must get its answer.
fn unread_bodies_leave_the_connection_open(config: Config, slow: u32, total: usize) {
    let stream_window = config.h2.initial_window_size as usize;
    let (mut c, mut cl, mut app) = start(config);
    // SLOW (1) and then 5, 7, 9…: every stream but FAST (3) is unread.
    let slow_ids: Vec<u32> = core::iter::once(SLOW)
        .chain((0..slow - 1).map(|i| 5 + 2 * i))
        .collect();
    // Stream ids must rise: 1, then FAST, then the others.
    cl.open(SLOW, "/slow");
    cl.open(FAST, "/fast");
    for &id in &slow_ids[1..] {
        cl.open(id, "/slow");
    }
    let mut rounds = 0;
    while !cl.ended.contains(&FAST) {
        rounds += 1;
        assert!(
            rounds < 100_000,
            "{slow} unread bodies: stalled at {} fast bytes",
            app.fast_received
        );
        for &id in &slow_ids {
            cl.send_body(id, usize::MAX);
        }
        cl.send_body(FAST, total);
        cl.push(&mut c);
        serve(&mut c, &mut app);
        cl.pull(&mut c);
    }
    assert_eq!(app.fast_received, total);
    assert_eq!(cl.responses[&FAST].1, total.to_string().as_bytes());
    // Each unread stream got exactly its own window, and its window stays shut: the
    // bytes the application holds are bounded by the stream windows.
    assert_eq!(app.slow_received, slow_ids.len() * stream_window);
    for &id in &slow_ids {
        assert_eq!(cl.sent[&id], stream_window, "stream {id}");
        assert_eq!(cl.windows[&id], 0, "stream {id}");
        assert_eq!(cl.stream_window_updates.get(&id), None, "stream {id}");
    }
}

#[test]
fn h2_two_unread_bodies_with_default_windows() {
    unread_bodies_leave_the_connection_open(manual(), 2, 2 << 20);
}

#[test]
fn h2_many_unread_bodies_with_default_windows() {
    // Three unread 256 KiB bodies used to stall the 1 MiB connection window (viper-h2
    // credited it only with the stream's release). Six hold 1.5 MiB, more than the
    // whole connection window, and the upload still goes through.
    for slow in [3, 4, 6] {
        unread_bodies_leave_the_connection_open(manual(), slow, 2 << 20);
    }
}

#[test]
fn h2_unread_bodies_up_to_the_stream_limit() {
    // Small windows, every stream the peer may open but one left unread: 15 × 64 KiB
    // held against a 128 KiB connection window.
    let mut config = manual();
    config.h2.initial_window_size = 64 * 1024;
    config.h2.connection_window_size = 128 * 1024;
    config.h2.max_concurrent_streams = 16;
    unread_bodies_leave_the_connection_open(config, 15, 1 << 20);
}
