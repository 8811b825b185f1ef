//! Header fields in one buffer, names lowercased.

use alloc::vec::Vec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    start: u32,
    name_len: u32,
    value_len: u32,
}

/// An ordered list of header fields (names stored lowercase) in one buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    buf: Vec<u8>,
    pos: Vec<Pos>,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a field; the name is stored lowercase.
    pub fn push(&mut self, name: &[u8], value: &[u8]) {
        let start = self.buf.len();
        self.buf.extend(name.iter().map(u8::to_ascii_lowercase));
        self.buf.extend_from_slice(value);
        self.pos.push(Pos {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            name_len: u32::try_from(name.len()).unwrap_or(u32::MAX),
            value_len: u32::try_from(value.len()).unwrap_or(u32::MAX),
        });
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.pos.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    fn field(&self, p: &Pos) -> (&[u8], &[u8]) {
        let s = p.start as usize;
        let n = s.saturating_add(p.name_len as usize);
        let v = n.saturating_add(p.value_len as usize);
        (
            self.buf.get(s..n).unwrap_or(&[]),
            self.buf.get(n..v).unwrap_or(&[]),
        )
    }

    /// The fields in order, as `(lowercase name, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.pos.iter().map(move |p| self.field(p))
    }

    /// The first value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// The first value of `name` as UTF-8 text, if it is valid UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// Whether the comma-separated values of `name` contain `token` (case-insensitive).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .any(|(_, v)| {
                v.split(|b| *b == b',')
                    .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
            })
    }
}
