//! A table of malformed and request-smuggling inputs, each with its exact outcome.

mod common;

use common::{body_of, drive_server, first_error};
use viper_h1::{Config, ErrorKind, Event};

enum Outcome {
    /// Rejected with this error and this answer status.
    Reject(ErrorKind, u16),
    /// Accepted; the request body is exactly this.
    Body(&'static [u8]),
}
use Outcome::*;

fn small() -> Config {
    Config {
        max_head_size: 1024,
        max_headers: 8,
        max_uri_len: 64,
        max_body_size: 100,
        max_chunk_ext_len: 16,
        max_trailer_size: 64,
        ..Config::default()
    }
}

const H: &str = "POST / HTTP/1.1\r\nHost: a\r\n";

fn cases() -> Vec<(&'static str, String, Outcome)> {
    let te = |v: &str, body: &str| format!("{H}Transfer-Encoding: {v}\r\n\r\n{body}");
    let cl = |v: &str, body: &str| format!("{H}Content-Length: {v}\r\n\r\n{body}");
    let chunk = |body: &str| format!("{H}Transfer-Encoding: chunked\r\n\r\n{body}");
    let c = String::from;
    vec![
        // --- CL/TE smuggling and transfer-coding obfuscations
        ("CL.TE", format!("{H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX"), Reject(ErrorKind::TransferEncodingWithContentLength, 400)),
        ("TE.CL", format!("{H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n"), Reject(ErrorKind::TransferEncodingWithContentLength, 400)),
        ("TE.TE obfuscated second TE", format!("{H}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n"), Reject(ErrorKind::ChunkedNotFinal, 400)),
        ("TE xchunked", te("xchunked", ""), Reject(ErrorKind::UnsupportedTransferCoding, 501)),
        ("TE chunkedx", te("chunkedx", ""), Reject(ErrorKind::UnsupportedTransferCoding, 501)),
        ("TE leading OWS is legal", format!("{H}Transfer-Encoding:    chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), Body(b"abc")),
        ("TE tab OWS is legal", format!("{H}Transfer-Encoding:\tchunked\t\r\n\r\n1\r\nz\r\n0\r\n\r\n"), Body(b"z")),
        ("TE uppercase", te("CHUNKED", "2\r\nhi\r\n0\r\n\r\n"), Body(b"hi")),
        ("TE chunked, identity", te("chunked, identity", ""), Reject(ErrorKind::ChunkedNotFinal, 400)),
        ("TE identity", te("identity", ""), Reject(ErrorKind::UnsupportedTransferCoding, 501)),
        ("TE gzip, chunked", te("gzip, chunked", ""), Reject(ErrorKind::UnsupportedTransferCoding, 501)),
        ("TE chunked, chunked", te("chunked, chunked", ""), Reject(ErrorKind::ChunkedNotFinal, 400)),
        ("TE chunked twice (lines)", format!("{H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), Reject(ErrorKind::ChunkedNotFinal, 400)),
        ("TE gzip then chunked (lines)", format!("{H}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"), Reject(ErrorKind::UnsupportedTransferCoding, 501)),
        ("TE with parameter", te("chunked;q=1", ""), Reject(ErrorKind::ChunkedNotFinal, 400)),
        ("TE quoted", te("\"chunked\"", ""), Reject(ErrorKind::ChunkedNotFinal, 400)),
        ("TE empty list element", te(",chunked", ""), Reject(ErrorKind::ChunkedNotFinal, 400)),
        ("TE empty value", te("", ""), Reject(ErrorKind::ChunkedNotFinal, 400)),
        ("TE vertical tab", te("\x0bchunked", ""), Reject(ErrorKind::MalformedHead, 400)),
        ("TE space before colon", format!("{H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"), Reject(ErrorKind::MalformedHead, 400)),
        ("TE obs-fold", format!("{H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"), Reject(ErrorKind::ObsFold, 400)),
        ("TE in HTTP/1.0", c("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), Reject(ErrorKind::TransferEncodingInHttp10, 400)),
        // --- Content-Length
        ("CL plus sign", cl("+5", "hello"), Reject(ErrorKind::InvalidContentLength, 400)),
        ("CL negative", cl("-5", ""), Reject(ErrorKind::InvalidContentLength, 400)),
        ("CL space inside", cl("1 0", ""), Reject(ErrorKind::InvalidContentLength, 400)),
        ("CL hex", cl("0x5", ""), Reject(ErrorKind::InvalidContentLength, 400)),
        ("CL trailing junk", cl("5a", ""), Reject(ErrorKind::InvalidContentLength, 400)),
        ("CL empty", cl("", ""), Reject(ErrorKind::InvalidContentLength, 400)),
        ("CL overflow", cl("18446744073709551616", ""), Reject(ErrorKind::InvalidContentLength, 400)),
        ("CL list differing", cl("5, 6", "hello"), Reject(ErrorKind::InvalidContentLength, 400)),
        ("CL list identical is one value", cl("5, 5", "hello"), Body(b"hello")),
        ("CL list empty element", cl("5,", "hello"), Reject(ErrorKind::InvalidContentLength, 400)),
        ("CL duplicate lines same", format!("{H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"), Reject(ErrorKind::DuplicateContentLength, 400)),
        ("CL duplicate lines differ", format!("{H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"), Reject(ErrorKind::DuplicateContentLength, 400)),
        ("CL above max_body_size", cl("101", ""), Reject(ErrorKind::BodyTooLarge, 413)),
        ("CL leading zeros are digits", cl("005", "hello"), Body(b"hello")),
        ("CL body cut by EOF", cl("10", "short"), Reject(ErrorKind::IncompleteMessage, 400)),
        // --- Host
        ("missing Host on 1.1", c("GET / HTTP/1.1\r\n\r\n"), Reject(ErrorKind::MissingHost, 400)),
        ("two Host fields", c("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), Reject(ErrorKind::MultipleHost, 400)),
        ("Host with space", c("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), Reject(ErrorKind::InvalidHost, 400)),
        ("Host with slash", c("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), Reject(ErrorKind::InvalidHost, 400)),
        ("HTTP/1.0 without Host is fine", c("GET / HTTP/1.0\r\n\r\n"), Body(b"")),
        // --- line endings, folding, forbidden bytes
        ("bare LF line endings", c("GET / HTTP/1.1\nHost: a\n\n"), Reject(ErrorKind::BareLf, 400)),
        ("bare LF in one header", c("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n"), Reject(ErrorKind::BareLf, 400)),
        ("bare CR in request line", c("GET / HTTP/1.1\rHost: a\r\n\r\n"), Reject(ErrorKind::MalformedHead, 400)),
        ("bare CR in header value", c("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"), Reject(ErrorKind::MalformedHead, 400)),
        ("NUL in header value", c("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"), Reject(ErrorKind::MalformedHead, 400)),
        ("NUL in target", c("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"), Reject(ErrorKind::MalformedHead, 400)),
        ("obs-fold in any header", c("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n"), Reject(ErrorKind::ObsFold, 400)),
        ("space before colon", c("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), Reject(ErrorKind::MalformedHead, 400)),
        ("space in header name", c("GET / HTTP/1.1\r\nHost: a\r\nX Y: z\r\n\r\n"), Reject(ErrorKind::MalformedHead, 400)),
        ("leading whitespace before first header", c("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), Reject(ErrorKind::ObsFold, 400)),
        ("leading empty line is ignored", c("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), Body(b"")),
        ("HTTP/2.0 request line", c("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), Reject(ErrorKind::MalformedHead, 400)),
        ("bad method byte", c("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), Reject(ErrorKind::MalformedHead, 400)),
        ("double space in request line", c("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), Reject(ErrorKind::MalformedHead, 400)),
        // --- request-target forms
        ("asterisk with GET", c("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), Reject(ErrorKind::InvalidTarget, 400)),
        ("asterisk with OPTIONS", c("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), Body(b"")),
        ("CONNECT with origin-form", c("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n"), Reject(ErrorKind::InvalidTarget, 400)),
        ("CONNECT without port", c("CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n"), Reject(ErrorKind::InvalidTarget, 400)),
        ("CONNECT with path", c("CONNECT example.com:80/x HTTP/1.1\r\nHost: a\r\n\r\n"), Reject(ErrorKind::InvalidTarget, 400)),
        ("target without slash or scheme", c("GET foo HTTP/1.1\r\nHost: a\r\n\r\n"), Reject(ErrorKind::InvalidTarget, 400)),
        ("absolute-form accepted", c("GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n"), Body(b"")),
        ("scheme starting with digit", c("GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), Reject(ErrorKind::InvalidTarget, 400)),
        // --- Expect
        ("unknown expectation", c("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 0\r\n\r\n"), Reject(ErrorKind::UnsupportedExpectation, 417)),
        // --- chunked framing
        ("chunk size overflow", chunk("10000000000000000\r\n"), Reject(ErrorKind::ChunkSizeOverflow, 400)),
        ("chunk size negative", chunk("-1\r\nx\r\n0\r\n\r\n"), Reject(ErrorKind::InvalidChunkSize, 400)),
        ("chunk size junk", chunk("5x\r\nhello\r\n0\r\n\r\n"), Reject(ErrorKind::InvalidChunkSize, 400)),
        ("chunk size 0x prefix", chunk("0x5\r\nhello\r\n0\r\n\r\n"), Reject(ErrorKind::InvalidChunkSize, 400)),
        ("chunk size missing", chunk("\r\nhello\r\n0\r\n\r\n"), Reject(ErrorKind::InvalidChunkSize, 400)),
        ("chunk size line bare LF", chunk("3\nabc\r\n0\r\n\r\n"), Reject(ErrorKind::InvalidChunkSize, 400)),
        ("chunk size with space inside", chunk("1 0\r\n"), Reject(ErrorKind::InvalidChunkSize, 400)),
        ("chunk data too long for size", chunk("3\r\nabcd\r\n0\r\n\r\n"), Reject(ErrorKind::InvalidChunkTerminator, 400)),
        ("chunk data bare LF terminator", chunk("3\r\nabc\n0\r\n\r\n"), Reject(ErrorKind::InvalidChunkTerminator, 400)),
        ("chunk extension accepted", chunk("3;n=v;x=\"q\"\r\nabc\r\n0;last\r\n\r\n"), Body(b"abc")),
        ("chunk extension too long", chunk("3;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nabc\r\n0\r\n\r\n"), Reject(ErrorKind::InvalidChunkExtension, 400)),
        ("chunk extension with bare CR", chunk("3;a\rb\r\nabc\r\n0\r\n\r\n"), Reject(ErrorKind::InvalidChunkExtension, 400)),
        ("chunk extension with NUL", chunk("3;a\0\r\nabc\r\n0\r\n\r\n"), Reject(ErrorKind::InvalidChunkExtension, 400)),
        ("many leading zeros beyond the line limit", chunk(&format!("{}1\r\nx\r\n0\r\n\r\n", "0".repeat(40))), Reject(ErrorKind::InvalidChunkExtension, 400)),
        ("chunked body above max_body_size", chunk("65\r\n"), Reject(ErrorKind::BodyTooLarge, 413)),
        ("trailers accepted", chunk("1\r\nq\r\n0\r\nX-Sum: 1\r\n\r\n"), Body(b"q")),
        ("trailers too large", chunk(&format!("0\r\nX: {}\r\n\r\n", "v".repeat(80))), Reject(ErrorKind::InvalidTrailers, 400)),
        ("trailer obs-fold", chunk("0\r\nX: a\r\n b\r\n\r\n"), Reject(ErrorKind::InvalidTrailers, 400)),
        ("trailer bare LF", chunk("0\r\nX: a\n\r\n"), Reject(ErrorKind::InvalidTrailers, 400)),
        ("chunked cut by EOF", chunk("5\r\nab"), Reject(ErrorKind::IncompleteMessage, 400)),
        // --- size limits
        ("URI too long", format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(64)), Reject(ErrorKind::UriTooLong, 414)),
        ("URI too long, head incomplete", format!("GET /{}", "a".repeat(70)), Reject(ErrorKind::UriTooLong, 414)),
        ("head too large", format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", "v".repeat(1024)), Reject(ErrorKind::HeadTooLarge, 431)),
        ("head too large, incomplete", format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}", "v".repeat(1100)), Reject(ErrorKind::HeadTooLarge, 431)),
        ("too many headers", format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", "X: y\r\n".repeat(8)), Reject(ErrorKind::TooManyHeaders, 431)),
        ("head cut by EOF", c("GET / HTTP/1.1\r\nHost: a\r\n"), Reject(ErrorKind::IncompleteMessage, 400)),
    ]
}

#[test]
fn malformed_and_smuggling_table() {
    let cases = cases();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    for (name, input, outcome) in cases {
        let (events, out, conn) = drive_server(small(), &[input.as_bytes()], true);
        match outcome {
            Reject(kind, status) => {
                let e = first_error(&events)
                    .unwrap_or_else(|| panic!("{name}: expected {kind:?}, got {events:?}"));
                assert_eq!(e.kind, kind, "{name}");
                assert_eq!(e.status, Some(status), "{name}");
                assert!(e.close, "{name}");
                assert!(
                    !events.iter().any(|e| matches!(e, Event::End { .. })),
                    "{name}: no message may complete"
                );
                let text = String::from_utf8_lossy(&out);
                assert!(
                    text.starts_with(&format!("HTTP/1.1 {status} ")),
                    "{name}: {text}"
                );
                assert!(text.contains("connection: close\r\n"), "{name}: {text}");
                assert!(conn.is_closed(), "{name}");
            }
            Body(body) => {
                assert_eq!(first_error(&events), None, "{name}: {events:?}");
                assert!(matches!(events.first(), Some(Event::Request(_))), "{name}");
                assert_eq!(body_of(&events), body, "{name}");
                assert!(
                    events.iter().any(|e| matches!(e, Event::End { .. })),
                    "{name}"
                );
                assert!(
                    String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200 OK\r\n"),
                    "{name}"
                );
            }
        }
    }
}

/// The same table, fed one byte at a time, must reach the same verdicts.
#[test]
fn malformed_table_byte_by_byte() {
    for (name, input, outcome) in cases() {
        let pieces: Vec<&[u8]> = input.as_bytes().chunks(1).collect();
        let (events, _, _) = drive_server(small(), &pieces, true);
        match outcome {
            Reject(kind, _) => {
                assert_eq!(first_error(&events).map(|e| e.kind), Some(kind), "{name}")
            }
            Body(body) => assert_eq!(body_of(&events), body, "{name}"),
        }
    }
}
