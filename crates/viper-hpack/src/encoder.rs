//! The header-block encoder (RFC 7541 §6, §4.2).

use alloc::vec::Vec;

use crate::huffman;
use crate::static_table;
use crate::table::{NameSource, Table, ENTRY_OVERHEAD};
use crate::Header;

/// Which fields the encoder adds to the dynamic table (sensitive fields never are).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IndexPolicy {
    /// Index fields that are likely to repeat: everything except fields larger than 3/4
    /// of the table and fields whose values usually change per message (`content-length`,
    /// `date`, `etag`, `last-modified`, `if-modified-since`, `if-none-match`, `location`,
    /// `set-cookie`, `age`, `content-range`, `expires`, `:path` values over 64 bytes).
    #[default]
    Auto,
    /// Index every field that fits in the table.
    Always,
    /// Never add to the dynamic table (a stateless encoder: literals and static indices).
    Never,
}

/// Settings of an [`Encoder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncoderConfig {
    /// The largest dynamic table the encoder will use, whatever the peer allows; the
    /// table used is `min(this, peer's SETTINGS_HEADER_TABLE_SIZE)`. Default 4096.
    pub max_table_size: usize,
    /// Huffman-code string literals when that is not longer than the raw bytes (ties go
    /// to Huffman, as RFC 7541 Appendix C.6 does). Default true.
    pub use_huffman: bool,
    /// Which fields go into the dynamic table. Default [`IndexPolicy::Auto`].
    pub indexing: IndexPolicy,
    /// `cookie` values shorter than this are sent as never-indexed literals (they are
    /// guessable, RFC 7541 §7.1.3). Default 20.
    pub sensitive_cookie_len: usize,
}

impl Default for EncoderConfig {
    fn default() -> Self {
        EncoderConfig {
            max_table_size: 4096,
            use_huffman: true,
            indexing: IndexPolicy::Auto,
            sensitive_cookie_len: 20,
        }
    }
}

/// The HTTP/2 default `SETTINGS_HEADER_TABLE_SIZE`.
const DEFAULT_PEER_TABLE_SIZE: usize = 4096;

/// An HPACK encoder: one per HTTP/2 connection; blocks must reach the peer in the order
/// they were encoded. Field names must already be lowercase (HTTP/2 requires it).
#[derive(Clone, Debug)]
pub struct Encoder {
    config: EncoderConfig,
    table: Table,
    peer_max: usize,
    /// Smallest size the table must pass through before the next block, if any.
    pending_min: Option<usize>,
}

/// Appends `value` as an integer with an `n`-bit prefix (RFC 7541 §5.1); `flags` holds
/// the bits above the prefix.
pub(crate) fn encode_int(dst: &mut Vec<u8>, flags: u8, n: u32, value: usize) {
    let max = (1usize << n) - 1;
    if value < max {
        dst.push(flags | value as u8);
        return;
    }
    dst.push(flags | max as u8);
    let mut v = value - max;
    while v >= 128 {
        dst.push((v & 0x7f) as u8 | 0x80);
        v >>= 7;
    }
    dst.push(v as u8);
}

impl Encoder {
    /// A new encoder. The peer's table size starts at the protocol default 4096; if
    /// `config.max_table_size` is smaller, the first block starts with a size update.
    pub fn new(config: EncoderConfig) -> Self {
        let eff = config.max_table_size.min(DEFAULT_PEER_TABLE_SIZE);
        let mut table = Table::new(DEFAULT_PEER_TABLE_SIZE);
        let pending_min = if eff != DEFAULT_PEER_TABLE_SIZE {
            table.set_max_size(eff);
            Some(eff)
        } else {
            None
        };
        Encoder {
            config,
            table,
            peer_max: DEFAULT_PEER_TABLE_SIZE,
            pending_min,
        }
    }

    /// The peer's SETTINGS_HEADER_TABLE_SIZE changed: the next block starts with the
    /// needed dynamic-table-size update(s) (two when it shrank then grew).
    pub fn set_max_table_size(&mut self, size: usize) {
        self.peer_max = size;
        let eff = self.config.max_table_size.min(size);
        let cur = self.table.max_size();
        if eff == cur && self.pending_min.is_none() {
            return;
        }
        let min = match self.pending_min {
            Some(m) => m.min(eff),
            None => eff,
        };
        self.pending_min = Some(min);
        // Evict now: the table only ever shrinks to the smallest announced size.
        self.table.set_max_size(min);
        self.table.set_max_size(eff);
    }

    /// The peer's last announced `SETTINGS_HEADER_TABLE_SIZE` (4096 until changed).
    pub fn peer_max_table_size(&self) -> usize {
        self.peer_max
    }

    /// The settings in use.
    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// The dynamic table's current size (RFC 7541 §4.1) and maximum size.
    pub fn table_size(&self) -> (usize, usize) {
        (self.table.size(), self.table.max_size())
    }

    /// Number of entries in the dynamic table.
    pub fn table_len(&self) -> usize {
        self.table.len()
    }

    /// Heap bytes held by the encoder's dynamic table.
    pub fn heap_bytes(&self) -> usize {
        self.table.heap_bytes()
    }

    /// Append one header block for `headers` to `dst`.
    pub fn encode<'a, I: IntoIterator<Item = Header<'a>>>(
        &mut self,
        headers: I,
        dst: &mut Vec<u8>,
    ) {
        if let Some(min) = self.pending_min.take() {
            let fin = self.table.max_size();
            if min < fin {
                encode_int(dst, 0x20, 5, min);
            }
            encode_int(dst, 0x20, 5, fin);
        }
        for h in headers {
            self.encode_field(h, dst);
        }
    }

    fn is_sensitive(&self, h: &Header<'_>) -> bool {
        h.sensitive
            || h.name == b"authorization"
            || h.name == b"proxy-authorization"
            || (h.name == b"cookie" && h.value.len() < self.config.sensitive_cookie_len)
    }

    fn should_index(&self, h: &Header<'_>) -> bool {
        let size = h
            .name
            .len()
            .saturating_add(h.value.len())
            .saturating_add(ENTRY_OVERHEAD);
        match self.config.indexing {
            IndexPolicy::Never => false,
            IndexPolicy::Always => size <= self.table.max_size(),
            IndexPolicy::Auto => {
                if size > self.table.max_size() / 4 * 3 {
                    return false;
                }
                let volatile = matches!(
                    h.name,
                    b"content-length"
                        | b"date"
                        | b"etag"
                        | b"last-modified"
                        | b"if-modified-since"
                        | b"if-none-match"
                        | b"location"
                        | b"set-cookie"
                        | b"age"
                        | b"content-range"
                        | b"expires"
                );
                let long_path = h.name == b":path" && h.value.len() > 64;
                !volatile && !long_path
            }
        }
    }

    fn encode_field(&mut self, h: Header<'_>, dst: &mut Vec<u8>) {
        let statics = static_table::find(h.name, h.value);
        if self.is_sensitive(&h) {
            let name_idx = match statics {
                Some((i, _)) => i,
                None => self.dynamic_name(&h),
            };
            encode_int(dst, 0x10, 4, name_idx);
            self.literal_tail(&h, name_idx, dst);
            return;
        }
        if let Some((i, true)) = statics {
            encode_int(dst, 0x80, 7, i);
            return;
        }
        let dynamic = if self.table.len() > 0 {
            self.table.find(h.name, h.value)
        } else {
            None
        };
        if let Some((d, true)) = dynamic {
            encode_int(dst, 0x80, 7, static_table::STATIC_TABLE.len() + d);
            return;
        }
        let name_idx = match (statics, dynamic) {
            (Some((i, _)), _) => i,
            (None, Some((d, _))) => static_table::STATIC_TABLE.len() + d,
            (None, None) => 0,
        };
        if self.should_index(&h) {
            encode_int(dst, 0x40, 6, name_idx);
            self.literal_tail(&h, name_idx, dst);
            self.table.insert(NameSource::Bytes(h.name), h.value);
        } else {
            encode_int(dst, 0x00, 4, name_idx);
            self.literal_tail(&h, name_idx, dst);
        }
    }

    fn dynamic_name(&self, h: &Header<'_>) -> usize {
        if self.table.len() == 0 {
            return 0;
        }
        match self.table.find(h.name, h.value) {
            Some((d, _)) => static_table::STATIC_TABLE.len() + d,
            None => 0,
        }
    }

    fn literal_tail(&self, h: &Header<'_>, name_idx: usize, dst: &mut Vec<u8>) {
        if name_idx == 0 {
            self.string(h.name, dst);
        }
        self.string(h.value, dst);
    }

    fn string(&self, s: &[u8], dst: &mut Vec<u8>) {
        if self.config.use_huffman {
            let hl = huffman::encoded_len(s);
            // Ties go to Huffman, as in RFC 7541 Appendix C.6 ("307" is 3 bytes either way).
            if !s.is_empty() && hl <= s.len() {
                encode_int(dst, 0x80, 7, hl);
                huffman::encode(s, dst);
                return;
            }
        }
        encode_int(dst, 0x00, 7, s.len());
        dst.extend_from_slice(s);
    }
}
