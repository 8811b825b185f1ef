//! The cases, shared by the host (build.rs, which records the expected answers) and the
//! bare-metal image (which recomputes them on riscv32imc and compares). Each case takes
//! an input byte string and returns its answer as text: the Debug form of every event,
//! every transmitted byte and every error, so any difference in behaviour between a
//! 64-bit host and the 32-bit target shows up as a text difference.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// The groups, one per crate, in the vector file's group byte.
pub const GROUPS: [&str; 6] = ["h1", "ws", "router", "template", "sse", "hpack"];

/// Runs case `input` of `group` and returns its answer.
pub fn run(group: u8, input: &[u8], routes: &viper_router::Router<usize>) -> String {
    match group {
        0 => h1(input),
        1 => ws(input),
        2 => router(input, routes),
        3 => template(input),
        4 => sse(input),
        5 => hpack(input),
        _ => String::from("unknown group"),
    }
}

/// The chunk size a case is fed in: the input's first byte (0 = all at once).
fn split(input: &[u8]) -> (usize, &[u8]) {
    match input.split_first() {
        Some((&0, rest)) => (usize::MAX, rest),
        Some((&n, rest)) => (n as usize, rest),
        None => (usize::MAX, &[]),
    }
}

/// HTTP/1.1 server connection: the request bytes in chunks, then end of input.
fn h1(input: &[u8]) -> String {
    use viper_h1::{Config, Connection};
    let (chunk, data) = split(input);
    let mut c = Connection::server(Config::default(), viper_core::Instant::ZERO);
    let mut out = String::new();
    let mut pos = 0;
    let mut stuck = 0;
    let drain = |c: &mut Connection, out: &mut String| {
        for _ in 0..10_000 {
            let Some(ev) = c.poll_event() else { break };
            let _ = writeln!(out, "ev {ev:?}");
            // Answer every request so pipelined ones proceed.
            if let viper_h1::Event::Request(_) = ev {
                let _ = c.send_response(200, &[("content-length", "2")]);
                let _ = c.send_data(&b"ok"[..]);
                let _ = c.finish();
            }
        }
        while let Some(b) = c.take_transmit() {
            let _ = writeln!(out, "tx {:?}", String::from_utf8_lossy(&b));
        }
    };
    while pos < data.len() && stuck < 3 {
        let end = pos.saturating_add(chunk).min(data.len());
        let n = c.receive(&data[pos..end]);
        pos += n;
        stuck = if n == 0 { stuck + 1 } else { 0 };
        drain(&mut c, &mut out);
        if c.is_closed() {
            break;
        }
    }
    c.receive_eof();
    drain(&mut c, &mut out);
    let _ = writeln!(out, "taken {pos} closed {}", c.is_closed());
    out
}

/// WebSocket server endpoint: client frames in chunks.
fn ws(input: &[u8]) -> String {
    use viper_ws::{Config, Negotiated, WebSocket};
    let (chunk, data) = split(input);
    let mut w = WebSocket::server(Config::default(), &Negotiated::default());
    let mut out = String::new();
    let mut pos = 0;
    let mut stuck = 0;
    while pos < data.len() && stuck < 3 {
        let end = pos.saturating_add(chunk).min(data.len());
        let n = w.receive(&data[pos..end]);
        pos += n;
        stuck = if n == 0 { stuck + 1 } else { 0 };
        for _ in 0..10_000 {
            let Some(ev) = w.poll_event() else { break };
            let _ = writeln!(out, "ev {ev:?}");
        }
    }
    let _ = writeln!(out, "taken {pos} state {:?}", w.state());
    out
}

/// The GitHub API route table (`benches/router/benches/github_routes.txt`: methods, then
/// the path pattern), each route's value its line order.
pub fn route_table(routes: &str) -> viper_router::Router<usize> {
    use viper_router::{Method, Router};
    let mut r = Router::new();
    let mut id = 0usize;
    for line in routes.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((path, methods)) = words.split_last() else {
            continue;
        };
        for m in methods {
            if let Some(m) = Method::parse(m.as_bytes()) {
                let _ = r.insert(m, path, id);
                id += 1;
            }
        }
    }
    r
}

/// A lookup in the route table; the input is `METHOD /path`.
fn router(input: &[u8], table: &viper_router::Router<usize>) -> String {
    let text = String::from_utf8_lossy(input);
    let (m, path) = text.split_once(' ').unwrap_or(("GET", &text));
    let Some(m) = viper_router::Method::parse(m.as_bytes()) else {
        return String::from("bad method");
    };
    format!("{:?}", table.lookup(m, path))
}

/// A template rendered with a fixed context; the answer is the output or the error.
fn template(input: &[u8]) -> String {
    use viper_template::{Environment, MapLoader, Value};
    let src = String::from_utf8_lossy(input).into_owned();
    let mut loader = MapLoader::new();
    loader.insert("main", src);
    loader.insert(
        "macros",
        "{% macro field(n, v='') %}<input name=\"{{ n }}\" value=\"{{ v }}\">{% endmacro %}",
    );
    loader.insert(
        "base",
        "<title>{% block title %}T{% endblock %}</title>{% block body %}{% endblock %}",
    );
    let env = Environment::new(loader);
    let sensors: Vec<Value> = [
        (1i64, "temperature", 21.5f64, "celsius"),
        (2, "humidity", 40.0, "percent"),
        (3, "pressure", 1013.25, "hPa"),
    ]
    .iter()
    .map(|&(id, t, v, u)| {
        Value::map([
            ("id", Value::from(id)),
            ("type", Value::from(t)),
            ("value", Value::from(v)),
            ("unit", Value::from(u)),
        ])
    })
    .collect();
    let ctx = Value::map([
        ("title", Value::from("Smart <Home>")),
        ("sensors", Value::from(sensors)),
        ("n", Value::from(7i64)),
        ("x", Value::from(2.5f64)),
        ("big", Value::from(9_007_199_254_740_993i64)),
        ("words", Value::list(["alpha", "beta", "gamma", "beta"])),
        ("flag", Value::from(true)),
        ("none", Value::from(())),
    ]);
    match env.render("main", &ctx) {
        Ok(s) => s,
        Err(e) => format!("ERR {e}"),
    }
}

/// The WHATWG event-stream parser over the input in chunks.
fn sse(input: &[u8]) -> String {
    use viper_sse::{Parser, ParserConfig};
    let (chunk, data) = split(input);
    let mut p = Parser::new(ParserConfig::default());
    let mut out = String::new();
    let mut pos = 0;
    let mut stuck = 0;
    while pos < data.len() && stuck < 3 {
        let end = pos.saturating_add(chunk).min(data.len());
        match p.receive(&data[pos..end]) {
            Ok(n) => {
                pos += n;
                stuck = if n == 0 { stuck + 1 } else { 0 };
            }
            Err(e) => {
                let _ = writeln!(out, "err {e:?}");
                break;
            }
        }
        while let Some(ev) = p.poll_event() {
            let _ = writeln!(out, "ev {ev:?}");
        }
    }
    let _ = writeln!(out, "taken {pos} last-id {:?}", p.last_event_id());
    out
}

/// One hpack-test-case story: blocks of `[table size u32 or u32::MAX][len u32][wire]`,
/// decoded in order by one decoder. The answer lists `name: value` per header and `--`
/// after each block, the same text build.rs writes from the story's JSON.
fn hpack(mut input: &[u8]) -> String {
    use viper_hpack::{Decoder, DecoderConfig};
    let mut d = Decoder::new(DecoderConfig {
        max_table_size: 4096,
        max_header_list_size: 1 << 20,
        max_header_count: 4096,
    });
    let mut out = String::new();
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    while input.len() >= 8 {
        let size = word(input);
        let len = word(&input[4..]) as usize;
        let Some(wire) = input.get(8..8 + len) else {
            break;
        };
        input = &input[8 + len..];
        if size != u32::MAX {
            d.set_max_table_size(size as usize);
        }
        let r = d.decode(wire, |h| {
            let _ = writeln!(
                out,
                "{}: {}",
                String::from_utf8_lossy(&h.name),
                String::from_utf8_lossy(&h.value)
            );
        });
        if let Err(e) = r {
            let _ = writeln!(out, "err {e:?}");
        }
        out.push_str("--\n");
    }
    out
}
