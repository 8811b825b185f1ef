//! The header-block decoder (RFC 7541 §3, §6).

use alloc::vec::Vec;
use core::fmt;

use crate::huffman::{self, HuffmanError};
use crate::static_table::STATIC_TABLE;
use crate::table::{NameSource, Table, ENTRY_OVERHEAD};
use crate::Header;

/// Limits of a [`Decoder`]. Every limit has a safe default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecoderConfig {
    /// The dynamic-table size we announce as `SETTINGS_HEADER_TABLE_SIZE`: the largest
    /// size a dynamic table size update may set. Default 4096 (the protocol default).
    pub max_table_size: usize,
    /// Largest decoded header list, counted as RFC 9113 §6.5.2 counts it (name + value +
    /// 32 per field). Default 16 KiB. Exceeding it gives
    /// [`DecodeError::HeaderListTooLarge`] (HTTP 431) after the whole block was decoded.
    pub max_header_list_size: usize,
    /// Most fields per header block. Default 128. Exceeding it gives
    /// [`DecodeError::TooManyHeaders`] after the whole block was decoded.
    pub max_header_count: usize,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            max_table_size: 4096,
            max_header_list_size: 16 * 1024,
            max_header_count: 128,
        }
    }
}

/// What was wrong with a header block.
///
/// Every variant is a `COMPRESSION_ERROR` for HTTP/2 (the connection must close, since
/// the decoder's state is now undefined) except the limit variants
/// ([`HeaderListTooLarge`](DecodeError::HeaderListTooLarge),
/// [`TooManyHeaders`](DecodeError::TooManyHeaders)): for those the whole block was decoded
/// and the dynamic table is in sync, so the request can be refused (431) and the
/// connection kept. See [`DecodeError::is_limit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// An integer does not fit in 32 bits or has too many continuation bytes.
    IntegerOverflow,
    /// The block ended inside a representation (integer, string, or missing bytes).
    Truncated,
    /// An index (given) is 0 or beyond the static and dynamic tables.
    InvalidIndex(usize),
    /// A Huffman-coded string contains the EOS symbol.
    EosInString,
    /// A Huffman-coded string's padding is longer than 7 bits or not all ones.
    InvalidPadding,
    /// A dynamic table size update (given) exceeds the limit we announced.
    TableSizeUpdateTooLarge(usize),
    /// A dynamic table size update came after a header field.
    TableSizeUpdateNotAtStart,
    /// Our announced limit shrank below the table's size, and the block did not begin
    /// with the dynamic table size update that RFC 7541 §4.2 requires.
    MissingTableSizeUpdate,
    /// The decoded header list exceeds [`DecoderConfig::max_header_list_size`].
    HeaderListTooLarge,
    /// The block has more fields than [`DecoderConfig::max_header_count`].
    TooManyHeaders,
}

impl DecodeError {
    /// True for the limit variants (`HeaderListTooLarge`, `TooManyHeaders`), after which
    /// the decoder is still in sync; false for every `COMPRESSION_ERROR`.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            DecodeError::HeaderListTooLarge | DecodeError::TooManyHeaders
        )
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::IntegerOverflow => f.write_str("HPACK integer overflow"),
            DecodeError::Truncated => f.write_str("HPACK header block truncated"),
            DecodeError::InvalidIndex(i) => write!(f, "HPACK index {i} out of range"),
            DecodeError::EosInString => f.write_str("HPACK Huffman string contains EOS"),
            DecodeError::InvalidPadding => f.write_str("HPACK Huffman padding invalid"),
            DecodeError::TableSizeUpdateTooLarge(s) => {
                write!(
                    f,
                    "HPACK dynamic table size update {s} above the announced limit"
                )
            }
            DecodeError::TableSizeUpdateNotAtStart => {
                f.write_str("HPACK dynamic table size update after a header field")
            }
            DecodeError::MissingTableSizeUpdate => {
                f.write_str("HPACK dynamic table size update missing after a limit decrease")
            }
            DecodeError::HeaderListTooLarge => f.write_str("header list too large"),
            DecodeError::TooManyHeaders => f.write_str("too many header fields"),
        }
    }
}

impl From<HuffmanError> for DecodeError {
    fn from(e: HuffmanError) -> Self {
        match e {
            HuffmanError::Eos => DecodeError::EosInString,
            HuffmanError::Padding => DecodeError::InvalidPadding,
        }
    }
}

/// Decodes an integer with an `n`-bit prefix (RFC 7541 §5.1) starting at `buf[*pos]`.
/// Values are limited to `u32::MAX`.
#[inline]
pub(crate) fn decode_int(buf: &[u8], pos: &mut usize, n: u32) -> Result<usize, DecodeError> {
    let mask = (1u32 << n) - 1;
    let first = *buf.get(*pos).ok_or(DecodeError::Truncated)?;
    *pos += 1;
    let mut value = u32::from(first) & mask;
    if value < mask {
        return Ok(value as usize);
    }
    let mut shift = 0u32;
    loop {
        let b = *buf.get(*pos).ok_or(DecodeError::Truncated)?;
        *pos += 1;
        let add = u64::from(b & 0x7f) << shift;
        let sum = u64::from(value) + add;
        if sum > u64::from(u32::MAX) {
            return Err(DecodeError::IntegerOverflow);
        }
        value = sum as u32;
        if b & 0x80 == 0 {
            return Ok(value as usize);
        }
        shift += 7;
        if shift > 28 {
            return Err(DecodeError::IntegerOverflow);
        }
    }
}

/// Where a decoded string's bytes are.
#[derive(Clone, Copy)]
enum Str {
    /// `block[start..end]`.
    Block(usize, usize),
    /// `scratch[start..end]`.
    Scratch(usize, usize),
}

/// Where a field's name is.
#[derive(Clone, Copy)]
enum Name {
    Static(&'static [u8]),
    /// 1-based dynamic index.
    Dynamic(usize),
    Literal(Str),
}

/// Decodes a string literal (RFC 7541 §5.2) at `block[*pos]`.
#[inline]
fn decode_str(block: &[u8], pos: &mut usize, scratch: &mut Vec<u8>) -> Result<Str, DecodeError> {
    let huff = block.get(*pos).ok_or(DecodeError::Truncated)? & 0x80 != 0;
    let len = decode_int(block, pos, 7)?;
    let start = *pos;
    let end = start.checked_add(len).ok_or(DecodeError::Truncated)?;
    let raw = block.get(start..end).ok_or(DecodeError::Truncated)?;
    *pos = end;
    if huff {
        let s = scratch.len();
        huffman::decode(raw, scratch)?;
        Ok(Str::Scratch(s, scratch.len()))
    } else {
        Ok(Str::Block(start, end))
    }
}

/// An HPACK decoder: one per HTTP/2 connection, fed every header block in order.
#[derive(Clone, Debug)]
pub struct Decoder {
    config: DecoderConfig,
    table: Table,
    /// Smallest limit announced since the last block; if below the table's current
    /// maximum, the next block must start with a size update no larger than it.
    pending_min: Option<usize>,
    scratch: Vec<u8>,
}

impl Decoder {
    /// A decoder whose dynamic table may grow to `config.max_table_size` (also its initial
    /// maximum size). If that differs from the protocol default 4096 and the peer has not
    /// acknowledged our SETTINGS yet, create it with 4096 and call
    /// [`set_max_table_size`](Decoder::set_max_table_size) on the ACK.
    pub fn new(config: DecoderConfig) -> Self {
        Decoder {
            table: Table::new(config.max_table_size),
            config,
            pending_min: None,
            scratch: Vec::new(),
        }
    }

    /// Change the table-size limit we announce (applies when the peer acks our SETTINGS).
    ///
    /// If it is below the dynamic table's current maximum size, the next block must
    /// begin with a dynamic table size update no larger than it.
    pub fn set_max_table_size(&mut self, size: usize) {
        self.config.max_table_size = size;
        self.pending_min = Some(match self.pending_min {
            Some(m) => m.min(size),
            None => size,
        });
    }

    /// The limits in force.
    pub fn config(&self) -> &DecoderConfig {
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

    /// Heap bytes held by the decoder (dynamic table and scratch buffer capacities).
    pub fn heap_bytes(&self) -> usize {
        self.table.heap_bytes() + self.scratch.capacity()
    }

    /// Decode one complete header block; `f` is called once per field, in order.
    /// Bytes are borrowed from `block` or from the decoder's table/scratch buffer.
    ///
    /// On a limit error ([`DecodeError::is_limit`]) the whole block has been decoded, the
    /// fields within the limits were passed to `f`, and the rest were dropped.
    pub fn decode<F: FnMut(Header<'_>)>(
        &mut self,
        block: &[u8],
        mut f: F,
    ) -> Result<(), DecodeError> {
        let mut pos = 0;
        let mut list_size: usize = 0;
        let mut count: usize = 0;
        let mut limit_err: Option<DecodeError> = None;
        let mut at_start = true;
        let required = match self.pending_min.take() {
            Some(m) if m < self.table.max_size() => Some(m),
            _ => None,
        };
        let mut update_seen = required.is_none();

        while let Some(&b) = block.get(pos) {
            if b & 0xe0 == 0x20 {
                // Dynamic table size update (§6.3).
                if !at_start {
                    return Err(DecodeError::TableSizeUpdateNotAtStart);
                }
                let size = decode_int(block, &mut pos, 5)?;
                if size > self.config.max_table_size {
                    return Err(DecodeError::TableSizeUpdateTooLarge(size));
                }
                if let Some(m) = required {
                    if size <= m {
                        update_seen = true;
                    }
                }
                self.table.set_max_size(size);
                continue;
            }
            if at_start {
                at_start = false;
                if !update_seen {
                    return Err(DecodeError::MissingTableSizeUpdate);
                }
            }
            self.scratch.clear();
            let (name, value, sensitive, index) = if b & 0x80 != 0 {
                // Indexed header field (§6.1).
                let idx = decode_int(block, &mut pos, 7)?;
                let emit = limit_err.is_none();
                count += 1;
                let (n, v) = self.lookup(idx)?;
                let size = n.len() + v.len() + ENTRY_OVERHEAD;
                list_size = list_size.saturating_add(size);
                if emit {
                    if count > self.config.max_header_count {
                        limit_err = Some(DecodeError::TooManyHeaders);
                    } else if list_size > self.config.max_header_list_size {
                        limit_err = Some(DecodeError::HeaderListTooLarge);
                    } else {
                        f(Header {
                            name: n,
                            value: v,
                            sensitive: false,
                        });
                    }
                }
                continue;
            } else if b & 0x40 != 0 {
                // Literal with incremental indexing (§6.2.1).
                let (n, v) = self.literal(block, &mut pos, 6)?;
                (n, v, false, true)
            } else {
                // Literal without indexing (0000) or never indexed (0001) (§6.2.2, §6.2.3).
                let sensitive = b & 0x10 != 0;
                let (n, v) = self.literal(block, &mut pos, 4)?;
                (n, v, sensitive, false)
            };
            count += 1;
            {
                let n = self.name_bytes(name, block);
                let v = self.str_bytes(value, block);
                let size = n.len() + v.len() + ENTRY_OVERHEAD;
                list_size = list_size.saturating_add(size);
                if limit_err.is_none() {
                    if count > self.config.max_header_count {
                        limit_err = Some(DecodeError::TooManyHeaders);
                    } else if list_size > self.config.max_header_list_size {
                        limit_err = Some(DecodeError::HeaderListTooLarge);
                    } else {
                        f(Header {
                            name: n,
                            value: v,
                            sensitive,
                        });
                    }
                }
            }
            if index {
                let value_bytes = match value {
                    Str::Block(s, e) => block.get(s..e).unwrap_or_default(),
                    Str::Scratch(s, e) => self.scratch.get(s..e).unwrap_or_default(),
                };
                let name_src = match name {
                    Name::Static(n) => NameSource::Bytes(n),
                    Name::Dynamic(i) => NameSource::Dynamic(i),
                    Name::Literal(Str::Block(s, e)) => {
                        NameSource::Bytes(block.get(s..e).unwrap_or_default())
                    }
                    Name::Literal(Str::Scratch(s, e)) => {
                        NameSource::Bytes(self.scratch.get(s..e).unwrap_or_default())
                    }
                };
                self.table.insert(name_src, value_bytes);
            }
        }
        if !update_seen {
            return Err(DecodeError::MissingTableSizeUpdate);
        }
        match limit_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Name and value at index `idx` of the combined index space (§2.3.3).
    #[inline]
    fn lookup(&self, idx: usize) -> Result<(&[u8], &[u8]), DecodeError> {
        if idx == 0 {
            return Err(DecodeError::InvalidIndex(0));
        }
        if let Some(&(n, v)) = STATIC_TABLE.get(idx - 1) {
            return Ok((n, v));
        }
        self.table
            .get(idx - STATIC_TABLE.len())
            .ok_or(DecodeError::InvalidIndex(idx))
    }

    /// Parses the name and value of a literal representation whose index has an
    /// `n`-bit prefix.
    #[inline]
    fn literal(
        &mut self,
        block: &[u8],
        pos: &mut usize,
        n: u32,
    ) -> Result<(Name, Str), DecodeError> {
        let idx = decode_int(block, pos, n)?;
        let name = if idx == 0 {
            Name::Literal(decode_str(block, pos, &mut self.scratch)?)
        } else if let Some(&(n, _)) = STATIC_TABLE.get(idx - 1) {
            Name::Static(n)
        } else {
            let d = idx - STATIC_TABLE.len();
            if self.table.get(d).is_none() {
                return Err(DecodeError::InvalidIndex(idx));
            }
            Name::Dynamic(d)
        };
        let value = decode_str(block, pos, &mut self.scratch)?;
        Ok((name, value))
    }

    #[inline]
    fn str_bytes<'a>(&'a self, s: Str, block: &'a [u8]) -> &'a [u8] {
        match s {
            Str::Block(a, b) => block.get(a..b).unwrap_or_default(),
            Str::Scratch(a, b) => self.scratch.get(a..b).unwrap_or_default(),
        }
    }

    #[inline]
    fn name_bytes<'a>(&'a self, n: Name, block: &'a [u8]) -> &'a [u8] {
        match n {
            Name::Static(s) => s,
            Name::Dynamic(i) => self.table.get(i).map(|(n, _)| n).unwrap_or_default(),
            Name::Literal(s) => self.str_bytes(s, block),
        }
    }
}
