//! Payload masking (RFC 6455 §5.3), a machine word at a time.

use alloc::vec::Vec;

/// The masking key rotated so that its first byte applies at payload byte
/// `offset`, and that key laid out twice in memory order (whatever the
/// endianness) for masking eight bytes at a time.
fn phased_key(key: [u8; 4], offset: usize) -> ([u8; 4], u64) {
    let mut k = [0u8; 4];
    for (i, b) in k.iter_mut().enumerate() {
        *b = key[(offset + i) % 4];
    }
    let mut w = [0u8; 8];
    w[..4].copy_from_slice(&k);
    w[4..].copy_from_slice(&k);
    (k, u64::from_ne_bytes(w))
}

/// XORs `data` with the 4-byte masking `key`, where `data[0]` is at byte
/// `offset` of the frame payload (so a payload can be unmasked in pieces as it
/// arrives).
///
/// The bulk of the work is done eight bytes at a time on a `u64` built from
/// the key rotated to the right phase; only the unaligned head and the tail
/// are handled byte by byte.
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let (k, k64) = phased_key(key, offset);
    let mut chunks = data.chunks_exact_mut(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let v = u64::from_ne_bytes(w) ^ k64;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= k[i % 4];
    }
}

/// Appends `src` masked with `key` to `out`, where `src[0]` is at byte
/// `offset` of the frame payload, in one pass over `src`: the masked copy is
/// written straight into the output buffer's spare capacity, a machine word
/// at a time, instead of copying then masking in place.
///
/// Why `unsafe`: writing into the spare capacity and then `set_len` avoids
/// both the second pass of copy-then-mask and the zero-fill a safe `resize`
/// needs first. In an A/B microbenchmark on x86-64 (release, best of 400
/// rounds, appending to a reused buffer) copy-then-mask took 2.5 ns for
/// 16 bytes, 24 ns for 1 KiB and 1.38 µs for 64 KiB; this function 1.9 ns,
/// 20 ns and 0.82 µs. The safe `resize`-then-masked-copy took 3.3 ns, 20 ns
/// and 1.27 µs; safe forms without the zero-fill (a byte iterator, 8-byte
/// `extend_from_slice`) were 3–20× slower than copy-then-mask.
pub(crate) fn extend_masked(out: &mut Vec<u8>, src: &[u8], key: [u8; 4], offset: usize) {
    let (k, k64) = phased_key(key, offset);
    out.reserve(src.len());
    let start = out.len();
    let dst = &mut out.spare_capacity_mut()[..src.len()];
    let mut d8 = dst.chunks_exact_mut(8);
    let mut s8 = src.chunks_exact(8);
    for (d, s) in (&mut d8).zip(&mut s8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(s);
        let v = (u64::from_ne_bytes(w) ^ k64).to_ne_bytes();
        for (d, b) in d.iter_mut().zip(v) {
            d.write(b);
        }
    }
    for (i, (d, s)) in d8
        .into_remainder()
        .iter_mut()
        .zip(s8.remainder())
        .enumerate()
    {
        d.write(s ^ k[i % 4]);
    }
    // SAFETY: `reserve` made room for `src.len()` more bytes, so `dst` (the
    // first `src.len()` spare bytes) exists, and every byte of it was written
    // above: `dst` and `src` have the same length, so their 8-byte chunks pair
    // up exactly (the zip ends on both at once) and the two remainders have
    // the same length too. `start + src.len()` is therefore within capacity
    // and all bytes below it are initialised.
    unsafe { out.set_len(start + src.len()) };
}

/// Appends `src` to `out`, masked with `key` if there is one (as
/// [`extend_masked`], `src[0]` being at byte `offset` of the frame payload),
/// copied as it is if not.
pub(crate) fn extend_maybe_masked(
    out: &mut Vec<u8>,
    src: &[u8],
    key: Option<[u8; 4]>,
    offset: usize,
) {
    match key {
        Some(k) => extend_masked(out, src, k, offset),
        None => out.extend_from_slice(src),
    }
}

/// Reference byte-at-a-time masking, used by tests to check [`apply_mask`].
#[cfg(test)]
fn apply_mask_slow(data: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= key[(offset + i) % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_masking_matches_bytewise_for_all_offsets_and_lengths() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in 0..40 {
            for off in 0..8 {
                let orig: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                let mut a = orig.clone();
                let mut b = orig.clone();
                apply_mask(&mut a, key, off);
                apply_mask_slow(&mut b, key, off);
                assert_eq!(a, b, "len {len} off {off}");
            }
        }
    }

    #[test]
    fn masked_copy_matches_bytewise_for_all_lengths() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in (0..80).chain([127, 128, 129, 1000, 1003]) {
            for off in 0..6 {
                let src: Vec<u8> = (0..len).map(|i| (i * 11 + 5) as u8).collect();
                let mut expect = src.clone();
                apply_mask_slow(&mut expect, key, off);
                // Both with exactly-sized growth and with spare room left over.
                let mut roomy = Vec::with_capacity(2 + len + 17);
                roomy.extend_from_slice(&[0xee, 0xdd]);
                extend_masked(&mut roomy, &src, key, off);
                let mut out = alloc::vec![0xee, 0xdd];
                extend_masked(&mut out, &src, key, off);
                assert_eq!(roomy, out);
                assert_eq!(out[..2], [0xee, 0xdd], "len {len} off {off}: prefix kept");
                assert_eq!(out[2..], expect[..], "len {len} off {off}");
            }
        }
    }

    #[test]
    fn rfc6455_5_7_masked_hello() {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
        let mut d = *b"Hello";
        apply_mask(&mut d, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(d, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }
}
