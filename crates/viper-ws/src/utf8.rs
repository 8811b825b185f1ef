//! Incremental UTF-8 validation across fragment and chunk boundaries.

/// Validates a byte stream as UTF-8 piece by piece, rejecting it as soon as a
/// byte arrives that cannot be part of a valid encoding (not only at the end).
#[derive(Clone, Copy, Debug, Default)]
pub struct Utf8Validator {
    /// The bytes of a code point started in an earlier chunk.
    partial: [u8; 4],
    partial_len: u8,
}

/// Length of the UTF-8 sequence introduced by lead byte `b` (0 if invalid).
fn seq_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => 0,
    }
}

impl Utf8Validator {
    /// A validator at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk; `false` means the stream can no longer be valid UTF-8.
    pub fn feed(&mut self, mut chunk: &[u8]) -> bool {
        if self.partial_len > 0 {
            let have = usize::from(self.partial_len);
            let need = seq_len(self.partial[0]);
            let take = (need - have).min(chunk.len());
            self.partial[have..have + take].copy_from_slice(&chunk[..take]);
            let now = have + take;
            chunk = &chunk[take..];
            match core::str::from_utf8(&self.partial[..now]) {
                Ok(_) => self.partial_len = 0,
                Err(e) if e.error_len().is_none() && now < need => {
                    // Still a valid prefix; wait for more bytes.
                    self.partial_len = now as u8;
                    return true;
                }
                Err(_) => return false,
            }
        }
        match core::str::from_utf8(chunk) {
            Ok(_) => true,
            Err(e) => {
                if e.error_len().is_some() {
                    return false;
                }
                let rest = &chunk[e.valid_up_to()..];
                // `rest` is a valid, incomplete prefix of at most 3 bytes.
                self.partial[..rest.len()].copy_from_slice(rest);
                self.partial_len = rest.len() as u8;
                true
            }
        }
    }

    /// Whether the stream ends on a code point boundary.
    pub fn is_complete(&self) -> bool {
        self.partial_len == 0
    }

    /// Forgets any partial code point.
    pub fn reset(&mut self) {
        self.partial_len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_every_position() {
        let s = "κόσμε-€-𝄞-héllo".as_bytes();
        for cut1 in 0..s.len() {
            for cut2 in cut1..s.len() {
                let mut v = Utf8Validator::new();
                assert!(v.feed(&s[..cut1]));
                assert!(v.feed(&s[cut1..cut2]));
                assert!(v.feed(&s[cut2..]));
                assert!(v.is_complete());
            }
        }
    }

    #[test]
    fn fails_on_the_offending_byte() {
        // "κόσμε" then 0xED 0xA0 (a surrogate): invalid as soon as 0xA0 arrives.
        let mut v = Utf8Validator::new();
        assert!(v.feed(&[0xce, 0xba, 0xe1, 0xbd, 0xb9]));
        assert!(v.feed(&[0xed]));
        assert!(!v.feed(&[0xa0]));
        let mut v = Utf8Validator::new();
        assert!(!v.feed(&[0xf4, 0x90]));
        let mut v = Utf8Validator::new();
        assert!(v.feed(&[0xf0, 0x9f]));
        assert!(!v.is_complete());
        assert!(!v.feed(&[0x41]));
    }
}
