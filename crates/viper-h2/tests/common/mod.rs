//! A scripted HTTP/2 client for tests: it writes frames with viper-h2's own frame
//! encoder and viper-hpack, feeds them to a server `Connection` whole, byte by byte or
//! in random splits, and parses everything the server writes back.
#![allow(dead_code, unreachable_pub)]

use viper_core::Instant;
use viper_h2::frame::{flags, kind, Frame, FrameHeader, FRAME_HEADER_LEN, PREFACE};
use viper_h2::{Config, Connection, ErrorCode, Event};
use viper_hpack::{Decoder, DecoderConfig, Encoder, EncoderConfig, Header};

/// How input is cut before it reaches `receive`.
#[derive(Clone, Copy, Debug)]
pub enum Split {
    Whole,
    Bytes,
    Random(u64),
}

pub const SPLITS: [Split; 4] = [
    Split::Whole,
    Split::Bytes,
    Split::Random(1),
    Split::Random(0xdead_beef),
];

/// A frame the server wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Out {
    pub kind: u8,
    pub flags: u8,
    pub stream_id: u32,
    pub payload: Vec<u8>,
    /// Decoded header fields for HEADERS (after CONTINUATIONs are joined).
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Out {
    pub fn is(&self, k: u8) -> bool {
        self.kind == k
    }
    pub fn code(&self) -> ErrorCode {
        let off = if self.kind == kind::GOAWAY { 4 } else { 0 };
        ErrorCode(u32::from_be_bytes(
            self.payload[off..off + 4].try_into().unwrap(),
        ))
    }
    pub fn status(&self) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == b":status")
            .map(|(_, v)| v.as_slice())
    }
    pub fn end_stream(&self) -> bool {
        self.flags & flags::END_STREAM != 0
    }
}

pub struct Client {
    pub conn: Connection,
    pub enc: Encoder,
    pub dec: Decoder,
    pub wire: Vec<u8>,
    pub frames: Vec<Out>,
    pub events: Vec<Event>,
    block: Option<(Out, Vec<u8>)>,
    pub auto_events: bool,
}

fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

impl Client {
    pub fn new(cfg: Config) -> Self {
        Client {
            conn: Connection::new(cfg, Instant::ZERO),
            enc: Encoder::new(EncoderConfig::default()),
            dec: Decoder::new(DecoderConfig {
                max_table_size: 4096,
                max_header_list_size: 1 << 20,
                max_header_count: 10_000,
            }),
            wire: Vec::new(),
            frames: Vec::new(),
            events: Vec::new(),
            block: None,
            auto_events: true,
        }
    }

    /// Preface + empty SETTINGS + ACK of the server's SETTINGS; output drained.
    pub fn handshake(cfg: Config) -> Self {
        let mut c = Client::new(cfg);
        let mut b = PREFACE.to_vec();
        b.extend(settings(&[]));
        b.extend(settings_ack());
        c.feed(&b, Split::Whole);
        c.frames.clear();
        c.events.clear();
        c
    }

    pub fn feed(&mut self, bytes: &[u8], split: Split) {
        let mut chunks: Vec<&[u8]> = Vec::new();
        match split {
            Split::Whole => chunks.push(bytes),
            Split::Bytes => chunks.extend(bytes.chunks(1)),
            Split::Random(mut seed) => {
                let mut rest = bytes;
                while !rest.is_empty() {
                    let n = (rng(&mut seed) % 40 + 1) as usize;
                    let n = n.min(rest.len());
                    chunks.push(&rest[..n]);
                    rest = &rest[n..];
                }
            }
        }
        for c in chunks {
            let mut rest = c;
            let mut stuck = 0;
            while !rest.is_empty() {
                let n = self.conn.receive(rest);
                rest = &rest[n..];
                if n == 0 {
                    self.pump();
                    stuck += 1;
                    assert!(stuck < 10_000, "receive made no progress");
                }
            }
            // Like an adapter's loop: drain events and output after each read.
            self.pump();
        }
    }

    /// Drains events (which may write WINDOW_UPDATEs) and output, parsing frames.
    pub fn pump(&mut self) {
        loop {
            let mut any = false;
            if self.auto_events {
                while let Some(e) = self.conn.poll_event() {
                    self.events.push(e);
                    any = true;
                }
            }
            while let Some(b) = self.conn.poll_transmit() {
                self.wire.extend_from_slice(b);
                let n = b.len();
                self.conn.advance_transmit(n);
                any = true;
            }
            if !any {
                break;
            }
        }
        self.parse();
    }

    fn parse(&mut self) {
        loop {
            let Some(h) = FrameHeader::parse(&self.wire) else {
                return;
            };
            let total = FRAME_HEADER_LEN + h.length as usize;
            if self.wire.len() < total {
                return;
            }
            let payload = self.wire[FRAME_HEADER_LEN..total].to_vec();
            self.wire.drain(..total);
            let mut out = Out {
                kind: h.kind,
                flags: h.flags,
                stream_id: h.stream_id,
                payload: payload.clone(),
                headers: Vec::new(),
            };
            match h.kind {
                kind::HEADERS => {
                    if h.flags & flags::END_HEADERS != 0 {
                        out.headers = self.decode(&payload);
                        self.frames.push(out);
                    } else {
                        self.block = Some((out, payload));
                    }
                }
                kind::CONTINUATION => {
                    let (mut first, mut buf) = self.block.take().expect("stray CONTINUATION");
                    buf.extend_from_slice(&payload);
                    if h.flags & flags::END_HEADERS != 0 {
                        first.headers = self.decode(&buf);
                        first.flags |= flags::END_HEADERS;
                        self.frames.push(first);
                    } else {
                        self.block = Some((first, buf));
                    }
                }
                _ => self.frames.push(out),
            }
        }
    }

    fn decode(&mut self, block: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut v = Vec::new();
        self.dec
            .decode(block, |h| v.push((h.name.to_vec(), h.value.to_vec())))
            .expect("server sent a bad header block");
        v
    }

    /// A HEADERS frame with an HPACK block for `fields`.
    pub fn headers(&mut self, id: u32, fields: &[(&str, &str)], end_stream: bool) -> Vec<u8> {
        let block = self.block_for(fields);
        let mut v = Vec::new();
        Frame::Headers {
            stream_id: id,
            end_stream,
            end_headers: true,
            priority: None,
            fragment: &block,
            pad_len: 0,
        }
        .encode(&mut v);
        v
    }

    pub fn block_for(&mut self, fields: &[(&str, &str)]) -> Vec<u8> {
        let mut block = Vec::new();
        self.enc.encode(
            fields.iter().map(|(n, v)| Header {
                name: n.as_bytes(),
                value: v.as_bytes(),
                sensitive: false,
            }),
            &mut block,
        );
        block
    }

    pub fn get(&mut self, id: u32, path: &str) -> Vec<u8> {
        self.headers(
            id,
            &[
                (":method", "GET"),
                (":scheme", "http"),
                (":authority", "example.com"),
                (":path", path),
            ],
            true,
        )
    }

    pub fn post(&mut self, id: u32, path: &str) -> Vec<u8> {
        self.headers(
            id,
            &[
                (":method", "POST"),
                (":scheme", "http"),
                (":authority", "example.com"),
                (":path", path),
            ],
            false,
        )
    }

    pub fn goaway(&self) -> Option<(ErrorCode, String)> {
        self.frames.iter().find(|f| f.is(kind::GOAWAY)).map(|f| {
            (
                f.code(),
                String::from_utf8_lossy(&f.payload[8..]).into_owned(),
            )
        })
    }

    pub fn rst(&self, id: u32) -> Option<ErrorCode> {
        self.frames
            .iter()
            .find(|f| f.is(kind::RST_STREAM) && f.stream_id == id)
            .map(|f| f.code())
    }

    pub fn take_frames(&mut self) -> Vec<Out> {
        std::mem::take(&mut self.frames)
    }

    pub fn requests(&self) -> Vec<u32> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Request { stream_id, .. } => Some(*stream_id),
                _ => None,
            })
            .collect()
    }

    /// Body bytes received on `id` (from Data events).
    pub fn body(&self, id: u32) -> Vec<u8> {
        let mut v = Vec::new();
        for e in &self.events {
            if let Event::Data {
                stream_id, data, ..
            } = e
            {
                if *stream_id == id {
                    v.extend_from_slice(data);
                }
            }
        }
        v
    }

    /// Response body bytes the server sent on `id`.
    pub fn response_body(&self, id: u32) -> Vec<u8> {
        let mut v = Vec::new();
        for f in &self.frames {
            if f.is(kind::DATA) && f.stream_id == id {
                v.extend_from_slice(&f.payload);
            }
        }
        v
    }

    /// Whether the last DATA frame the server sent carries END_STREAM (`false` when it
    /// sent none).
    pub fn last_data_ends_stream(&self) -> bool {
        self.frames
            .iter()
            .rev()
            .find(|f| f.is(kind::DATA))
            .is_some_and(|f| f.end_stream())
    }

    /// Asserts the connection answers a fresh request (it survived).
    pub fn assert_alive(&mut self, id: u32) {
        self.events.clear();
        let g = self.get(id, "/alive");
        self.feed(&g, Split::Whole);
        assert!(!self.conn.is_closed(), "connection closed");
        assert!(
            self.requests().contains(&id),
            "no request event for {id}: {:?}",
            self.events
        );
        self.conn.send_response(id, 200, &[], true).unwrap();
        self.pump();
        assert!(self
            .frames
            .iter()
            .any(|f| f.is(kind::HEADERS) && f.stream_id == id));
    }
}

pub fn settings(entries: &[(u16, u32)]) -> Vec<u8> {
    let mut p = Vec::new();
    for (i, v) in entries {
        p.extend_from_slice(&i.to_be_bytes());
        p.extend_from_slice(&v.to_be_bytes());
    }
    let mut v = Vec::new();
    Frame::Settings {
        ack: false,
        payload: &p,
    }
    .encode(&mut v);
    v
}

pub fn settings_ack() -> Vec<u8> {
    let mut v = Vec::new();
    Frame::Settings {
        ack: true,
        payload: &[],
    }
    .encode(&mut v);
    v
}

pub fn raw(k: u8, fl: u8, id: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    viper_h2::frame::write_header(&mut v, payload.len(), k, fl, id);
    v.extend_from_slice(payload);
    v
}

pub fn data(id: u32, bytes: &[u8], end: bool) -> Vec<u8> {
    raw(
        kind::DATA,
        if end { flags::END_STREAM } else { 0 },
        id,
        bytes,
    )
}

pub fn rst(id: u32, code: ErrorCode) -> Vec<u8> {
    raw(kind::RST_STREAM, 0, id, &code.0.to_be_bytes())
}

pub fn window_update(id: u32, inc: u32) -> Vec<u8> {
    raw(kind::WINDOW_UPDATE, 0, id, &inc.to_be_bytes())
}

pub fn ping(data: [u8; 8]) -> Vec<u8> {
    raw(kind::PING, 0, 0, &data)
}

pub fn priority(id: u32, dep: u32) -> Vec<u8> {
    let mut p = dep.to_be_bytes().to_vec();
    p.push(15);
    raw(kind::PRIORITY, 0, id, &p)
}
