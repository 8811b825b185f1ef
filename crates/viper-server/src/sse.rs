//! Server-Sent Events encoding (WHATWG HTML §9.2 "event stream" format).

use alloc::vec::Vec;

/// One server-sent event. Fields left `None` are omitted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SseEvent<'a> {
    /// `event:` — the event type (no CR/LF; a line break ends it).
    pub event: Option<&'a str>,
    /// `id:` — sets the client's last event ID, sent back as `Last-Event-ID` on
    /// reconnection (no CR, LF or NUL).
    pub id: Option<&'a str>,
    /// `retry:` — reconnection time in milliseconds.
    pub retry: Option<u32>,
    /// The data; every line (split on CRLF, LF or CR) becomes a `data:` line.
    pub data: &'a str,
}

impl<'a> SseEvent<'a> {
    /// An event carrying only `data`.
    pub fn data(data: &'a str) -> Self {
        SseEvent {
            data,
            ..SseEvent::default()
        }
    }

    /// Appends the encoded event (ending in the blank line that dispatches it) to `out`.
    /// Line breaks inside `event` and `id` are dropped so a value cannot inject fields.
    pub fn encode(&self, out: &mut Vec<u8>) {
        if let Some(e) = self.event {
            out.extend_from_slice(b"event: ");
            out.extend(e.bytes().filter(|b| *b != b'\r' && *b != b'\n'));
            out.push(b'\n');
        }
        if let Some(id) = self.id {
            out.extend_from_slice(b"id: ");
            out.extend(id.bytes().filter(|b| !matches!(b, b'\r' | b'\n' | 0)));
            out.push(b'\n');
        }
        if let Some(r) = self.retry {
            out.extend_from_slice(b"retry: ");
            let mut tmp = [0u8; 10];
            let mut i = tmp.len();
            let mut v = r;
            loop {
                i -= 1;
                tmp[i] = b'0' + (v % 10) as u8;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
            out.extend_from_slice(&tmp[i..]);
            out.push(b'\n');
        }
        let bytes = self.data.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\r' || b == b'\n' {
                out.extend_from_slice(b"data: ");
                out.extend_from_slice(&bytes[start..i]);
                out.push(b'\n');
                if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            i += 1;
        }
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&bytes[start..]);
        out.extend_from_slice(b"\n\n");
    }
}

/// The comment sent as a heartbeat (ignored by clients, keeps intermediaries open).
pub const SSE_HEARTBEAT: &[u8] = b":\n\n";
