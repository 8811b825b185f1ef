//! The dynamic table (RFC 7541 §2.3.2, §4): FIFO of fields with exact size accounting.
//!
//! Field bytes live in one `Vec<u8>`: new entries are appended at the end, evicted ones
//! are dropped from the front by advancing a logical offset, and the dead prefix is
//! compacted away once it is at least as large as the live part. No allocation per
//! entry, and the byte buffer stays within about twice the table's maximum size.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Per-entry overhead counted by RFC 7541 §4.1.
pub(crate) const ENTRY_OVERHEAD: usize = 32;

#[derive(Clone, Copy, Debug)]
struct Entry {
    /// Logical offset of the name's first byte (see `Table::base`); logical offsets wrap,
    /// and only their differences from `base` (always < `buf.len()`) are used.
    pos: usize,
    name_len: usize,
    value_len: usize,
}

/// Where the name of a new entry comes from.
pub(crate) enum NameSource<'a> {
    /// Bytes outside the table.
    Bytes(&'a [u8]),
    /// The name of the dynamic-table entry with this 1-based dynamic index.
    Dynamic(usize),
}

#[derive(Clone, Debug)]
pub(crate) struct Table {
    /// Oldest entry at the front, newest at the back.
    entries: VecDeque<Entry>,
    buf: Vec<u8>,
    /// Logical offset of `buf[0]`.
    base: usize,
    size: usize,
    max_size: usize,
}

impl Table {
    pub(crate) fn new(max_size: usize) -> Self {
        Table {
            entries: VecDeque::new(),
            buf: Vec::new(),
            base: 0,
            size: 0,
            max_size,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    pub(crate) fn max_size(&self) -> usize {
        self.max_size
    }

    /// Bytes of heap the table currently holds (capacity of its buffers).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.entries.capacity() * core::mem::size_of::<Entry>()
    }

    /// Name and value of the entry with 1-based dynamic index `idx` (1 = newest).
    pub(crate) fn get(&self, idx: usize) -> Option<(&[u8], &[u8])> {
        let e = self.entry(idx)?;
        let start = e.pos.wrapping_sub(self.base);
        let mid = start + e.name_len;
        let end = mid + e.value_len;
        Some((self.buf.get(start..mid)?, self.buf.get(mid..end)?))
    }

    fn entry(&self, idx: usize) -> Option<&Entry> {
        let n = self.entries.len();
        if idx == 0 || idx > n {
            return None;
        }
        self.entries.get(n - idx)
    }

    /// Sets the maximum size, evicting as needed.
    pub(crate) fn set_max_size(&mut self, max: usize) {
        self.max_size = max;
        self.evict_to(max);
        self.compact();
    }

    fn evict_to(&mut self, target: usize) {
        while self.size > target {
            match self.entries.pop_front() {
                Some(e) => self.size -= e.name_len + e.value_len + ENTRY_OVERHEAD,
                None => {
                    self.size = 0;
                    break;
                }
            }
        }
    }

    fn compact(&mut self) {
        match self.entries.front() {
            None => {
                self.base = self.base.wrapping_add(self.buf.len());
                self.buf.clear();
            }
            Some(e) => {
                let dead = e.pos.wrapping_sub(self.base);
                if dead > 0 && dead >= self.buf.len() - dead {
                    self.buf.drain(..dead);
                    self.base = self.base.wrapping_add(dead);
                }
            }
        }
        // Give back memory after a large table shrank.
        let live = self.buf.len();
        if self.buf.capacity() > 2 * self.max_size + 64 && self.buf.capacity() > 2 * live + 64 {
            self.buf.shrink_to(2 * live.max(self.max_size));
        }
    }

    /// Inserts a field at the front of the dynamic index space (RFC 7541 §4.4): evicts
    /// old entries to make room, or empties the table if the field alone is too large.
    pub(crate) fn insert(&mut self, name: NameSource<'_>, value: &[u8]) {
        let mut name_range = match name {
            NameSource::Bytes(b) => Err(b),
            NameSource::Dynamic(idx) => match self.entry(idx) {
                Some(e) => {
                    let start = e.pos.wrapping_sub(self.base);
                    Ok(start..start + e.name_len)
                }
                None => return,
            },
        };
        let name_len = match &name_range {
            Ok(r) => r.len(),
            Err(b) => b.len(),
        };
        let entry_size = name_len
            .saturating_add(value.len())
            .saturating_add(ENTRY_OVERHEAD);
        if entry_size > self.max_size {
            self.entries.clear();
            self.size = 0;
            self.compact();
            return;
        }
        // Evict first (bytes stay in `buf` until compaction, so a name that refers to an
        // evicted entry can still be copied).
        self.evict_to(self.max_size - entry_size);
        // Before the buffer would grow, drop the dead prefix (keeping the bytes of a name
        // this entry copies), so it stays within its first allocation in steady state.
        let needed = name_len + value.len();
        if self.buf.len() + needed > self.buf.capacity() {
            let mut dead = self
                .entries
                .front()
                .map_or(self.buf.len(), |e| e.pos.wrapping_sub(self.base));
            if let Ok(r) = &name_range {
                dead = dead.min(r.start);
            }
            if dead > 0 {
                self.buf.drain(..dead);
                self.base = self.base.wrapping_add(dead);
                if let Ok(r) = &mut name_range {
                    *r = r.start - dead..r.end - dead;
                }
            }
        }
        if self.buf.capacity() == 0 {
            // One allocation up front for a typical table rather than a series of doublings.
            self.buf.reserve(self.max_size.min(4096));
            self.entries.reserve(16);
        }
        let pos = self.base.wrapping_add(self.buf.len());
        match name_range {
            Ok(r) => self.buf.extend_from_within(r),
            Err(b) => self.buf.extend_from_slice(b),
        }
        self.buf.extend_from_slice(value);
        self.entries.push_back(Entry {
            pos,
            name_len,
            value_len: value.len(),
        });
        self.size += entry_size;
        self.compact();
    }

    /// Encoder lookup: the dynamic index of an entry equal to `(name, value)`, else of the
    /// newest entry with that name. Returns `(index, value_matches)`. A scan from the
    /// newest entry that compares lengths before bytes; tables hold tens of entries.
    pub(crate) fn find(&self, name: &[u8], value: &[u8]) -> Option<(usize, bool)> {
        let mut name_only = None;
        let n = self.entries.len();
        for (i, e) in self.entries.iter().enumerate().rev() {
            if e.name_len != name.len() {
                continue;
            }
            let start = e.pos.wrapping_sub(self.base);
            let mid = start + e.name_len;
            if self.buf.get(start..mid) != Some(name) {
                continue;
            }
            let idx = n - i;
            if e.value_len == value.len() && self.buf.get(mid..mid + e.value_len) == Some(value) {
                return Some((idx, true));
            }
            if name_only.is_none() {
                name_only = Some((idx, false));
            }
        }
        name_only
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_and_self_referencing_name() {
        // Room for exactly two entries of size 32 + 2.
        let mut t = Table::new(68);
        t.insert(NameSource::Bytes(b"a"), b"1");
        t.insert(NameSource::Bytes(b"b"), b"2");
        assert_eq!(t.size(), 68);
        // The new entry's name is the oldest entry's, which it evicts.
        t.insert(NameSource::Dynamic(2), b"3");
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(1), Some((&b"a"[..], &b"3"[..])));
        assert_eq!(t.get(2), Some((&b"b"[..], &b"2"[..])));
        assert_eq!(t.get(3), None);
        assert_eq!(t.get(0), None);
        // Too large for the table: empties it.
        t.insert(NameSource::Bytes(&[b'x'; 40]), b"");
        assert_eq!((t.len(), t.size()), (0, 0));
        t.set_max_size(0);
        t.insert(NameSource::Bytes(b"a"), b"1");
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn logical_offsets_may_wrap() {
        let mut t = Table::new(200);
        t.base = usize::MAX - 50;
        for i in 0..100u32 {
            let name = i.to_le_bytes();
            t.insert(NameSource::Bytes(&name), b"some value");
            assert_eq!(t.get(1), Some((&name[..], &b"some value"[..])));
            t.insert(NameSource::Dynamic(1), b"v");
            assert_eq!(t.get(1), Some((&name[..], &b"v"[..])));
            assert_eq!(t.find(&name, b"some value"), Some((2, true)));
        }
    }

    #[test]
    fn buffer_stays_bounded_under_churn() {
        let mut t = Table::new(4096);
        for i in 0..10_000u32 {
            let v = [b'v'; 100];
            t.insert(
                NameSource::Bytes(&i.to_le_bytes()),
                &v[..(i % 100) as usize],
            );
            assert!(t.size() <= 4096);
        }
        assert!(t.heap_bytes() < 16 * 1024, "{}", t.heap_bytes());
    }
}
