//! Huffman coding of string literals (RFC 7541 §5.2, Appendix B).
//!
//! Encoding uses the code table directly with a 64-bit accumulator. Decoding is driven by
//! a finite-state machine over 4-bit nibbles, built at compile time from the same code
//! table: each of the 256 internal nodes of the code tree is a state, and each entry says
//! which state follows a nibble, whether a symbol was completed (at most one can be, as no
//! code is shorter than 5 bits), whether EOS was decoded, and whether the state is a
//! valid place to stop (the bits since the last symbol are at most 7 one-bits).

use alloc::vec::Vec;

/// RFC 7541 Appendix B: (code, bit length) for symbols 0..=255 and EOS (256).
pub(crate) const CODES: [(u32, u8); 257] = [
    (0x1ff8, 13),
    (0x7fffd8, 23),
    (0xfffffe2, 28),
    (0xfffffe3, 28),
    (0xfffffe4, 28),
    (0xfffffe5, 28),
    (0xfffffe6, 28),
    (0xfffffe7, 28),
    (0xfffffe8, 28),
    (0xffffea, 24),
    (0x3ffffffc, 30),
    (0xfffffe9, 28),
    (0xfffffea, 28),
    (0x3ffffffd, 30),
    (0xfffffeb, 28),
    (0xfffffec, 28),
    (0xfffffed, 28),
    (0xfffffee, 28),
    (0xfffffef, 28),
    (0xffffff0, 28),
    (0xffffff1, 28),
    (0xffffff2, 28),
    (0x3ffffffe, 30),
    (0xffffff3, 28),
    (0xffffff4, 28),
    (0xffffff5, 28),
    (0xffffff6, 28),
    (0xffffff7, 28),
    (0xffffff8, 28),
    (0xffffff9, 28),
    (0xffffffa, 28),
    (0xffffffb, 28),
    (0x14, 6),
    (0x3f8, 10),
    (0x3f9, 10),
    (0xffa, 12),
    (0x1ff9, 13),
    (0x15, 6),
    (0xf8, 8),
    (0x7fa, 11),
    (0x3fa, 10),
    (0x3fb, 10),
    (0xf9, 8),
    (0x7fb, 11),
    (0xfa, 8),
    (0x16, 6),
    (0x17, 6),
    (0x18, 6),
    (0x0, 5),
    (0x1, 5),
    (0x2, 5),
    (0x19, 6),
    (0x1a, 6),
    (0x1b, 6),
    (0x1c, 6),
    (0x1d, 6),
    (0x1e, 6),
    (0x1f, 6),
    (0x5c, 7),
    (0xfb, 8),
    (0x7ffc, 15),
    (0x20, 6),
    (0xffb, 12),
    (0x3fc, 10),
    (0x1ffa, 13),
    (0x21, 6),
    (0x5d, 7),
    (0x5e, 7),
    (0x5f, 7),
    (0x60, 7),
    (0x61, 7),
    (0x62, 7),
    (0x63, 7),
    (0x64, 7),
    (0x65, 7),
    (0x66, 7),
    (0x67, 7),
    (0x68, 7),
    (0x69, 7),
    (0x6a, 7),
    (0x6b, 7),
    (0x6c, 7),
    (0x6d, 7),
    (0x6e, 7),
    (0x6f, 7),
    (0x70, 7),
    (0x71, 7),
    (0x72, 7),
    (0xfc, 8),
    (0x73, 7),
    (0xfd, 8),
    (0x1ffb, 13),
    (0x7fff0, 19),
    (0x1ffc, 13),
    (0x3ffc, 14),
    (0x22, 6),
    (0x7ffd, 15),
    (0x3, 5),
    (0x23, 6),
    (0x4, 5),
    (0x24, 6),
    (0x5, 5),
    (0x25, 6),
    (0x26, 6),
    (0x27, 6),
    (0x6, 5),
    (0x74, 7),
    (0x75, 7),
    (0x28, 6),
    (0x29, 6),
    (0x2a, 6),
    (0x7, 5),
    (0x2b, 6),
    (0x76, 7),
    (0x2c, 6),
    (0x8, 5),
    (0x9, 5),
    (0x2d, 6),
    (0x77, 7),
    (0x78, 7),
    (0x79, 7),
    (0x7a, 7),
    (0x7b, 7),
    (0x7ffe, 15),
    (0x7fc, 11),
    (0x3ffd, 14),
    (0x1ffd, 13),
    (0xffffffc, 28),
    (0xfffe6, 20),
    (0x3fffd2, 22),
    (0xfffe7, 20),
    (0xfffe8, 20),
    (0x3fffd3, 22),
    (0x3fffd4, 22),
    (0x3fffd5, 22),
    (0x7fffd9, 23),
    (0x3fffd6, 22),
    (0x7fffda, 23),
    (0x7fffdb, 23),
    (0x7fffdc, 23),
    (0x7fffdd, 23),
    (0x7fffde, 23),
    (0xffffeb, 24),
    (0x7fffdf, 23),
    (0xffffec, 24),
    (0xffffed, 24),
    (0x3fffd7, 22),
    (0x7fffe0, 23),
    (0xffffee, 24),
    (0x7fffe1, 23),
    (0x7fffe2, 23),
    (0x7fffe3, 23),
    (0x7fffe4, 23),
    (0x1fffdc, 21),
    (0x3fffd8, 22),
    (0x7fffe5, 23),
    (0x3fffd9, 22),
    (0x7fffe6, 23),
    (0x7fffe7, 23),
    (0xffffef, 24),
    (0x3fffda, 22),
    (0x1fffdd, 21),
    (0xfffe9, 20),
    (0x3fffdb, 22),
    (0x3fffdc, 22),
    (0x7fffe8, 23),
    (0x7fffe9, 23),
    (0x1fffde, 21),
    (0x7fffea, 23),
    (0x3fffdd, 22),
    (0x3fffde, 22),
    (0xfffff0, 24),
    (0x1fffdf, 21),
    (0x3fffdf, 22),
    (0x7fffeb, 23),
    (0x7fffec, 23),
    (0x1fffe0, 21),
    (0x1fffe1, 21),
    (0x3fffe0, 22),
    (0x1fffe2, 21),
    (0x7fffed, 23),
    (0x3fffe1, 22),
    (0x7fffee, 23),
    (0x7fffef, 23),
    (0xfffea, 20),
    (0x3fffe2, 22),
    (0x3fffe3, 22),
    (0x3fffe4, 22),
    (0x7ffff0, 23),
    (0x3fffe5, 22),
    (0x3fffe6, 22),
    (0x7ffff1, 23),
    (0x3ffffe0, 26),
    (0x3ffffe1, 26),
    (0xfffeb, 20),
    (0x7fff1, 19),
    (0x3fffe7, 22),
    (0x7ffff2, 23),
    (0x3fffe8, 22),
    (0x1ffffec, 25),
    (0x3ffffe2, 26),
    (0x3ffffe3, 26),
    (0x3ffffe4, 26),
    (0x7ffffde, 27),
    (0x7ffffdf, 27),
    (0x3ffffe5, 26),
    (0xfffff1, 24),
    (0x1ffffed, 25),
    (0x7fff2, 19),
    (0x1fffe3, 21),
    (0x3ffffe6, 26),
    (0x7ffffe0, 27),
    (0x7ffffe1, 27),
    (0x3ffffe7, 26),
    (0x7ffffe2, 27),
    (0xfffff2, 24),
    (0x1fffe4, 21),
    (0x1fffe5, 21),
    (0x3ffffe8, 26),
    (0x3ffffe9, 26),
    (0xffffffd, 28),
    (0x7ffffe3, 27),
    (0x7ffffe4, 27),
    (0x7ffffe5, 27),
    (0xfffec, 20),
    (0xfffff3, 24),
    (0xfffed, 20),
    (0x1fffe6, 21),
    (0x3fffe9, 22),
    (0x1fffe7, 21),
    (0x1fffe8, 21),
    (0x7ffff3, 23),
    (0x3fffea, 22),
    (0x3fffeb, 22),
    (0x1ffffee, 25),
    (0x1ffffef, 25),
    (0xfffff4, 24),
    (0xfffff5, 24),
    (0x3ffffea, 26),
    (0x7ffff4, 23),
    (0x3ffffeb, 26),
    (0x7ffffe6, 27),
    (0x3ffffec, 26),
    (0x3ffffed, 26),
    (0x7ffffe7, 27),
    (0x7ffffe8, 27),
    (0x7ffffe9, 27),
    (0x7ffffea, 27),
    (0x7ffffeb, 27),
    (0xffffffe, 28),
    (0x7ffffec, 27),
    (0x7ffffed, 27),
    (0x7ffffee, 27),
    (0x7ffffef, 27),
    (0x7fffff0, 27),
    (0x3ffffee, 26),
    (0x3fffffff, 30),
];

/// Why a Huffman-coded string was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HuffmanError {
    /// The EOS symbol appeared inside the string.
    Eos,
    /// The padding was longer than 7 bits or not a prefix of EOS (all ones).
    Padding,
}

/// Bit length of each symbol's code (the second column of `CODES`), kept apart so the
/// length pass touches one cache line per 64 symbols.
static LENGTHS: [u8; 256] = {
    let mut l = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        l[i] = CODES[i].1;
        i += 1;
    }
    l
};

/// Length in bytes of the Huffman encoding of `src`.
pub(crate) fn encoded_len(src: &[u8]) -> usize {
    let mut bits: u64 = 0;
    for &b in src {
        bits += u64::from(LENGTHS[b as usize]);
    }
    bits.div_ceil(8) as usize
}

/// Appends the Huffman encoding of `src` to `dst`, padded with ones.
pub(crate) fn encode(src: &[u8], dst: &mut Vec<u8>) {
    let start = dst.len();
    let total = encoded_len(src);
    dst.resize(start + total, 0);
    let mut out = dst.get_mut(start..).unwrap_or_default().iter_mut();
    // Pending bits are right-aligned in `acc`; `n` (< 32 between symbols) counts them, so
    // at most 31 + 30 bits are live and bits above them are already written.
    let mut acc: u64 = 0;
    let mut n: u32 = 0;
    for &b in src {
        let (code, len) = CODES[b as usize];
        acc = (acc << len) | code as u64;
        n += len as u32;
        if n >= 32 {
            n -= 32;
            for byte in ((acc >> n) as u32).to_be_bytes() {
                if let Some(slot) = out.next() {
                    *slot = byte;
                }
            }
        }
    }
    while n >= 8 {
        n -= 8;
        if let Some(slot) = out.next() {
            *slot = (acc >> n) as u8;
        }
    }
    if n > 0 {
        let pad = 8 - n;
        if let Some(slot) = out.next() {
            *slot = ((acc << pad) as u8) | ((1u8 << pad) - 1);
        }
    }
}

const EMIT_SHIFT: u32 = 17;
const EMIT: u32 = 1 << EMIT_SHIFT;
const ACCEPT: u32 = 1 << 18;
const FAIL: u32 = 1 << 19;

/// Decoding automaton: `DECODE[state][nibble]` = next state (bits 0..8), symbol (bits
/// 8..17), and the `EMIT` / `ACCEPT` / `FAIL` flags.
static DECODE: [[u32; 16]; 256] = build_decoder();

const fn build_decoder() -> [[u32; 16]; 256] {
    // Code tree: node 0 is the root; a child of 0 means "absent", a child with bit 15 set
    // is a leaf holding a symbol, anything else is an internal node's index.
    let mut children = [[0u16; 2]; 256];
    let mut next: u16 = 1;
    let mut sym = 0;
    while sym < 257 {
        let (code, len) = CODES[sym];
        let mut node = 0usize;
        let mut i = len;
        while i > 0 {
            i -= 1;
            let bit = ((code >> i) & 1) as usize;
            if i == 0 {
                children[node][bit] = 0x8000 | sym as u16;
            } else {
                if children[node][bit] == 0 {
                    children[node][bit] = next;
                    next += 1;
                }
                node = children[node][bit] as usize;
            }
        }
        sym += 1;
    }
    // A string may end at the root or after up to 7 one-bits (a prefix of EOS).
    let mut accept = [false; 256];
    accept[0] = true;
    let mut node = 0usize;
    let mut depth = 0;
    while depth < 7 {
        node = children[node][1] as usize;
        accept[node] = true;
        depth += 1;
    }
    let mut table = [[0u32; 16]; 256];
    let mut state = 0;
    while state < 256 {
        let mut nib = 0;
        while nib < 16 {
            let mut node = state;
            let mut entry = 0u32;
            let mut b = 4;
            while b > 0 {
                b -= 1;
                let bit = (nib >> b) & 1;
                let c = children[node][bit];
                if c & 0x8000 != 0 {
                    let s = (c & 0x1ff) as u32;
                    if s == 256 {
                        entry |= FAIL;
                    }
                    entry |= EMIT | (s << 8);
                    node = 0;
                } else {
                    node = c as usize;
                }
            }
            entry |= node as u32;
            if accept[node] {
                entry |= ACCEPT;
            }
            table[state][nib] = entry;
            nib += 1;
        }
        state += 1;
    }
    table
}

/// Decodes the Huffman-coded `src`, appending the symbols to `dst`.
///
/// The loop has no data-dependent branches: every table step writes its symbol into the
/// next output slot and advances the output position only if a symbol was completed;
/// EOS and the final padding are checked once at the end.
pub(crate) fn decode(src: &[u8], dst: &mut Vec<u8>) -> Result<(), HuffmanError> {
    let start = dst.len();
    // Every code is at least 5 bits, so at most floor(8n/5) symbols (bounded here by
    // 8*floor(n/5) + 8); a slot is written, and maybe not kept, before each advance, so
    // one spare slot suffices.
    let max = (src.len() / 5).saturating_mul(8).saturating_add(8);
    dst.resize(start + max, 0);
    let out = dst.get_mut(start..).unwrap_or_default();
    let mut n = 0usize;
    let mut state = 0usize;
    let mut seen = 0u32;
    let mut last = ACCEPT;
    for &byte in src {
        let e1 = DECODE[state][(byte >> 4) as usize];
        if let Some(slot) = out.get_mut(n) {
            *slot = (e1 >> 8) as u8;
        }
        n += ((e1 >> EMIT_SHIFT) & 1) as usize;
        let e2 = DECODE[(e1 & 0xff) as usize][(byte & 0xf) as usize];
        if let Some(slot) = out.get_mut(n) {
            *slot = (e2 >> 8) as u8;
        }
        n += ((e2 >> EMIT_SHIFT) & 1) as usize;
        state = (e2 & 0xff) as usize;
        seen |= e1 | e2;
        last = e2;
    }
    dst.truncate(start + n);
    if seen & FAIL != 0 {
        dst.truncate(start);
        return Err(HuffmanError::Eos);
    }
    if last & ACCEPT == 0 {
        dst.truncate(start);
        return Err(HuffmanError::Padding);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn every_single_byte_round_trips() {
        for b in 0..=255u8 {
            let mut enc = Vec::new();
            encode(&[b], &mut enc);
            assert_eq!(enc.len(), encoded_len(&[b]));
            let mut dec = Vec::new();
            decode(&enc, &mut dec).unwrap();
            assert_eq!(dec, vec![b]);
        }
    }

    #[test]
    fn rfc_c4_www_example_com() {
        let mut enc = Vec::new();
        encode(b"www.example.com", &mut enc);
        assert_eq!(
            enc,
            [0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff]
        );
    }

    #[test]
    fn rejects_eos_and_bad_padding() {
        // EOS is 30 one-bits: four 0xff bytes contain it.
        assert_eq!(decode(&[0xff; 4], &mut Vec::new()), Err(HuffmanError::Eos));
        // 8 bits of one-padding after nothing.
        assert_eq!(decode(&[0xff], &mut Vec::new()), Err(HuffmanError::Padding));
        // 'a' is 00011 (5 bits); padding 000 is not all ones.
        assert_eq!(decode(&[0x18], &mut Vec::new()), Err(HuffmanError::Padding));
        let mut out = Vec::new();
        decode(&[0x1f], &mut out).unwrap();
        assert_eq!(out, b"a");
        // Empty input is the empty string.
        assert_eq!(decode(&[], &mut Vec::new()), Ok(()));
    }
}
