//! Generates the test vectors and their expected answers for the bare-metal run.
//!
//! The expected answer of each case comes from one of two places:
//! - HPACK: the hpack-test-case corpus's JSON (headers written by other implementations),
//!   so the 32-bit target is checked against an independent source;
//! - the other groups: the same `cases.rs` run here on the 64-bit host, so any behaviour
//!   that depends on the word size, the allocator or the target's codegen shows up as a
//!   difference (the host behaviour itself is pinned by each crate's own tests).
//!
//! File format (`vectors.bin` in OUT_DIR): per case `[group u8][input len u32 LE][input]
//! [expected len u32 LE][expected]`.

extern crate alloc;

#[path = "src/cases.rs"]
#[allow(dead_code)]
mod cases;

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// Chunk sizes every streamed case is fed in (0 = all at once).
const CHUNKS: [u8; 4] = [0, 1, 3, 7];

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let here = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    fs::copy(here.join("memory.x"), out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=src/cases.rs");
    println!("cargo:rerun-if-env-changed=VIPER_SHARED");
    println!("cargo:rerun-if-env-changed=VIPER_QEMU_PLANT");
    // VIPER_QEMU_PLANT=1 corrupts the first expected answer of each group, so that
    // scripts/qemu-tests.sh can show the runner reports failures (one per group).
    let plant = env::var("VIPER_QEMU_PLANT").is_ok_and(|v| v == "1");

    let routes_file = here.join("../../benches/router/benches/github_routes.txt");
    println!("cargo:rerun-if-changed={}", routes_file.display());
    let routes_text = fs::read_to_string(&routes_file).expect("read github_routes.txt");
    fs::copy(&routes_file, out.join("github_routes.txt")).expect("copy routes");
    let table = cases::route_table(&routes_text);

    let mut file = Vec::new();
    let mut counts = [0usize; cases::GROUPS.len()];
    let mut push = |group: u8, input: &[u8], expected: &str| {
        let planted;
        let expected = if plant && counts[group as usize] == 0 {
            planted = format!("{expected}planted difference");
            planted.as_str()
        } else {
            expected
        };
        file.push(group);
        file.extend_from_slice(&(input.len() as u32).to_le_bytes());
        file.extend_from_slice(input);
        file.extend_from_slice(&(expected.len() as u32).to_le_bytes());
        file.extend_from_slice(expected.as_bytes());
        counts[group as usize] += 1;
    };
    let mut host = |group: u8, input: &[u8]| {
        let answer = cases::run(group, input, &table);
        push(group, input, &answer);
    };

    for req in h1_inputs() {
        for c in CHUNKS {
            host(0, &prefixed(c, req.as_bytes()));
        }
    }
    for frames in ws_inputs() {
        for c in CHUNKS {
            host(1, &prefixed(c, &frames));
        }
    }
    for target in router_inputs(&routes_text) {
        host(2, target.as_bytes());
    }
    for t in template_inputs() {
        host(3, t.as_bytes());
    }
    for s in sse_inputs() {
        for c in CHUNKS {
            host(4, &prefixed(c, s.as_bytes()));
        }
    }
    drop(host);
    let corpus = hpack_corpus_dir();
    println!("cargo:rerun-if-changed={}", corpus.display());
    for (input, expected) in hpack_stories(&corpus) {
        push(5, &input, &expected);
    }
    drop(push);

    fs::write(out.join("vectors.bin"), &file).expect("write vectors.bin");
    let summary: Vec<String> = cases::GROUPS
        .iter()
        .zip(counts)
        .map(|(g, n)| format!("{g} {n}"))
        .collect();
    fs::write(out.join("summary.txt"), summary.join(", ")).expect("write summary");
}

fn prefixed(chunk: u8, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(data.len() + 1);
    v.push(chunk);
    v.extend_from_slice(data);
    v
}

/// Requests: valid ones, pipelined ones, and the malformed / smuggling shapes.
fn h1_inputs() -> Vec<String> {
    let h = "POST / HTTP/1.1\r\nHost: a\r\n";
    let te = |v: &str, body: &str| format!("{h}Transfer-Encoding: {v}\r\n\r\n{body}");
    let cl = |v: &str, body: &str| format!("{h}Content-Length: {v}\r\n\r\n{body}");
    let mut v = vec![
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n".to_string(),
        "GET /a?b=c HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nUser-Agent: t\r\n\r\n".into(),
        "GET / HTTP/1.0\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".into(),
        "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n".into(),
        "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
        "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n".into(),
        "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n".into(),
        "GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".into(),
        "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc".into(),
        cl("5", "hello"),
        cl("0", ""),
        cl("5", "hel"),
        cl("+5", "hello"),
        cl("-1", ""),
        cl("5, 5", "hello"),
        cl("5, 6", "hello"),
        cl("0x5", "hello"),
        cl("99999999999999999999999", ""),
        format!("{h}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
        format!("{h}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
        te("chunked", "3\r\nabc\r\n0\r\n\r\n"),
        te("chunked", "3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n"),
        te("chunked", "A\r\n0123456789\r\n0\r\n\r\n"),
        te("chunked", "g\r\nabc\r\n0\r\n\r\n"),
        te("chunked", "3\r\nabcd\r\n0\r\n\r\n"),
        te("chunked", "3\nabc\n0\n\n"),
        te("chunked", "ffffffffffffffffff\r\n"),
        te("CHUNKED", "2\r\nhi\r\n0\r\n\r\n"),
        te("xchunked", ""),
        te("chunked, identity", ""),
        te("identity", ""),
        te("gzip, chunked", ""),
        te("chunked;q=1", ""),
        te("\"chunked\"", ""),
        te("", ""),
        format!("{h}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX"),
        format!("{h}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n"),
        format!("{h}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n"),
        format!("{h}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
        format!("{h}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".into(),
        "GET / HTTP/1.1\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".into(),
        "GET / HTTP/2.0\r\nHost: a\r\n\r\n".into(),
        "GET / HTTP/1.1\nHost: a\n\n".into(),
        "GET  / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
        "G\x00T / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHo\x01st: a\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost a\r\n\r\n".into(),
        "GET /\u{80} HTTP/1.1\r\nHost: a\r\n\r\n".into(),
        "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n".into(),
        "hello world".into(),
        String::new(),
    ];
    // Limits: a long target, many headers, a huge head.
    v.push(format!(
        "GET /{} HTTP/1.1\r\nHost: a\r\n\r\n",
        "x".repeat(9000)
    ));
    let many: String = (0..120).map(|i| format!("X-{i}: v\r\n")).collect();
    v.push(format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n"));
    v.push(format!(
        "GET / HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n",
        "y".repeat(20000)
    ));
    v
}

/// A masked client frame.
fn frame(fin: bool, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut f = vec![(if fin { 0x80 } else { 0 }) | opcode];
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => f.push(m | n as u8),
        n if n < 65536 => {
            f.push(m | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(m | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(k) => {
            f.extend_from_slice(&k);
            f.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => f.extend_from_slice(payload),
    }
    f
}

fn ws_inputs() -> Vec<Vec<u8>> {
    let k = Some([0x37, 0xfa, 0x21, 0x3d]);
    let cat = |parts: &[Vec<u8>]| parts.concat();
    let mut v = vec![
        frame(true, 1, b"Hello", k),
        frame(true, 2, &[0, 1, 2, 3, 255], k),
        frame(true, 1, b"", k),
        cat(&[frame(false, 1, b"Hel", k), frame(true, 0, b"lo", k)]),
        cat(&[
            frame(false, 1, b"a", k),
            frame(true, 9, b"p", k),
            frame(true, 0, b"b", k),
        ]),
        frame(true, 9, b"ping", k),
        frame(true, 10, b"pong", k),
        frame(true, 8, &[0x03, 0xe8, b'b', b'y', b'e'], k),
        frame(true, 8, &[0x03, 0xe8], k),
        frame(true, 8, &[], k),
        frame(true, 8, &[0x03], k),
        frame(true, 8, &[0x03, 0xed], k),
        frame(true, 8, &[0x0b, 0xb8], k),
        frame(true, 1, b"unmasked", None),
        frame(true, 3, b"reserved opcode", k),
        frame(true, 11, b"reserved control", k),
        frame(false, 9, b"fragmented ping", k),
        frame(true, 9, &[b'x'; 126], k),
        frame(true, 0, b"continuation first", k),
        cat(&[frame(false, 1, b"a", k), frame(true, 1, b"b", k)]),
        frame(true, 1, &[0xff, 0xfe], k),
        frame(true, 1, "héllo wörld €".as_bytes(), k),
        cat(&[frame(false, 1, &[0xce], k), frame(true, 0, &[0xba], k)]),
        frame(true, 1, &vec![b'z'; 300], k),
        frame(true, 2, &vec![7u8; 70000], k),
        {
            let mut f = frame(true, 1, b"rsv", k);
            f[0] |= 0x40;
            f
        },
        {
            // A 64-bit length with the top bit set.
            let mut f = vec![0x82, 0xff];
            f.extend_from_slice(&u64::MAX.to_be_bytes());
            f.extend_from_slice(&[1, 2, 3, 4]);
            f
        },
        {
            // A non-minimal 16-bit length.
            let mut f = vec![0x81, 0xfe, 0, 5, 1, 2, 3, 4];
            f.extend_from_slice(b"abcde");
            f
        },
    ];
    // Many small messages back to back.
    v.push(
        (0..50)
            .flat_map(|i| frame(true, 1, format!("m{i}").as_bytes(), k))
            .collect(),
    );
    v
}

/// Targets: each route's pattern with its parameters filled in, plus misses.
fn router_inputs(routes: &str) -> Vec<String> {
    let mut v = Vec::new();
    for line in routes.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((path, methods)) = words.split_last() else {
            continue;
        };
        let filled = fill(path, "42", "octocat");
        v.push(format!("{} {filled}", methods[0]));
        if v.len() % 3 == 0 {
            // The wrong type for int parameters, a trailing slash, a wrong method.
            v.push(format!("{} {}", methods[0], fill(path, "x1", "o")));
            v.push(format!("{} {filled}/", methods[0]));
            v.push(format!("PATCH {filled}"));
        }
    }
    v.extend(
        [
            "GET /nope",
            "GET //",
            "GET /repos",
            "GET /repos/a",
            "GET /%7Ba%7D",
            "GET /users/%C3%A9",
            "GET /users/a%2Fb",
            "GET /",
            "GET ",
            "DELETE /app",
        ]
        .map(String::from),
    );
    v
}

fn fill(pattern: &str, int: &str, text: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        let param = &rest[start..end];
        out.push_str(if param.contains(":int") {
            int
        } else if param.contains(":path") {
            "docs/a/b.md"
        } else {
            text
        });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn template_inputs() -> Vec<String> {
    [
        "Hello {{ title }}!",
        "{{ title|e }} {{ title|length }} {{ title|upper }} {{ title|lower }}",
        "{% for s in sensors %}{{ loop.index }}:{{ s.type }}={{ s.value }}{{ s.unit }};{% endfor %}",
        "{% for s in sensors if s.value > 30 %}{{ s.id }}{% else %}none{% endfor %}",
        "{% if n > 5 %}big{% elif n > 2 %}mid{% else %}small{% endif %}",
        "{{ n * 3 + 1 }} {{ n // 2 }} {{ n % 4 }} {{ n / 2 }} {{ x * 2 }} {{ 2 ** 10 }}",
        "{{ big }} {{ big + 1 }} {{ -big }}",
        "{{ x|round }} {{ 3.14159|round(2) }} {{ 1e20 }} {{ 0.1 + 0.2 }} {{ 1/3 }}",
        "{{ words|join(', ') }} {{ words|first }} {{ words|last }} {{ words|unique|list }}",
        "{{ words|sort|join }} {{ words|reverse|join }} {{ words|length }}",
        "{% set total = 0 %}{% for s in sensors %}{{ s.value|int }} {% endfor %}",
        "{{ sensors|map(attribute='type')|join('|') }}",
        "{{ sensors|selectattr('value', 'gt', 30)|map(attribute='id')|list }}",
        "{% extends 'base' %}{% block title %}Dash{% endblock %}{% block body %}<p>{{ n }}</p>{% endblock %}",
        "{% import 'macros' as m %}{{ m.field('name', title) }}",
        "{% from 'macros' import field %}{{ field('q') }}",
        "{% macro li(x) %}<li>{{ x }}</li>{% endmacro %}{% for w in words %}{{ li(w) }}{% endfor %}",
        "{{ flag and 'yes' or 'no' }} {{ none is none }} {{ none|default('d') }} {{ undefined_var|default('u') }}",
        "{{ 'a' ~ n ~ 'b' }} {{ \"q\\\"s\" }} {{ 'x' * 3 }}",
        "{%- for w in words -%} {{ w }} {%- endfor -%}",
        "{# comment #}text{{ '{{' }}",
        "{{ title|replace('<', '[')|replace('>', ']') }} {{ title|truncate(5) }}",
        "{{ {'a': 1, 'b': [1, 2]}|tojson }} {{ words|tojson }}",
        "{{ n is even }} {{ n is odd }} {{ n is divisibleby 7 }} {{ words is iterable }}",
        "{{ range(5)|list }} {{ range(1, 10, 3)|sum }}",
        "{{ '%s=%d'|format('a', 5) }} {{ 'abc'|center(9) }}",
        "{{ sensors[0].type }} {{ sensors[-1]['unit'] }} {{ words[1:3] }}",
        "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}",
        "{{ unclosed",
        "{% for x in %}{% endfor %}",
        "{% if %}",
        "{% endfor %}",
        "{{ 1 / 0 }}",
        "{{ sensors.nope.deeper }}",
        "{% extends 'missing' %}",
        "{{ title|nofilter }}",
        "{% raw %}{{ not rendered }}{% endraw %}",
        "{{ ((((((((((1)))))))))) }}",
    ]
    .map(String::from)
    .to_vec()
}

fn sse_inputs() -> Vec<String> {
    [
        "data: hello\n\n",
        "data: a\ndata: b\n\n",
        "event: update\nid: 7\ndata: {\"t\": 21.5}\n\n",
        "id: 1\ndata: x\n\nid: 2\ndata: y\n\n",
        ": comment\ndata: after comment\n\n",
        "retry: 1500\ndata: r\n\n",
        "retry: nope\ndata: r\n\n",
        "data:no space\r\n\r\n",
        "data: cr only\r\rdata: next\r\r",
        "\u{feff}data: bom\n\n",
        "data\n\n",
        "field-without-colon\ndata: z\n\n",
        "id: with\0nul\ndata: q\n\n",
        "data: unterminated",
        "event: e\n\n",
        "data: ünïcödé €\n\n",
        "id\ndata: reset id\n\n",
        "\n\n\n",
    ]
    .map(String::from)
    .to_vec()
}

fn hpack_corpus_dir() -> PathBuf {
    let shared = env::var("VIPER_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../../shared")
        });
    let dir = shared.join("data/hpack-test-case");
    if !dir.is_dir() {
        panic!(
            "the hpack-test-case corpus is missing at {} (set VIPER_SHARED to the shared folder)",
            dir.display()
        );
    }
    dir
}

/// Every story of three encoders' folders (plain, Huffman, table-size changes): the
/// wire blocks in the format `cases.rs` decodes, and the headers from the JSON.
fn hpack_stories(root: &Path) -> Vec<(Vec<u8>, String)> {
    let mut out = Vec::new();
    for impl_dir in [
        "nghttp2",
        "go-hpack",
        "nghttp2-change-table-size",
        "python-hpack",
    ] {
        let dir = root.join(impl_dir);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            let text = fs::read_to_string(&f).expect("read story");
            let json: serde_json::Value = serde_json::from_str(&text).expect("story JSON");
            let mut input = Vec::new();
            let mut expected = String::new();
            for case in json["cases"].as_array().expect("cases") {
                let size = case
                    .get("header_table_size")
                    .and_then(|s| s.as_u64())
                    .map_or(u32::MAX, |s| s as u32);
                let wire = hex(case["wire"].as_str().expect("wire"));
                input.extend_from_slice(&size.to_le_bytes());
                input.extend_from_slice(&(wire.len() as u32).to_le_bytes());
                input.extend_from_slice(&wire);
                for h in case["headers"].as_array().expect("headers") {
                    for (name, value) in h.as_object().expect("header object") {
                        expected.push_str(name);
                        expected.push_str(": ");
                        expected.push_str(value.as_str().expect("header value"));
                        expected.push('\n');
                    }
                }
                expected.push_str("--\n");
            }
            out.push((input, expected));
        }
    }
    out
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}
