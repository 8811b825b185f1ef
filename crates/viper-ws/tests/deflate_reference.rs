//! viper-ws's compressor against miniz_oxide's reference inflater, message after
//! message with context takeover: what one side compresses the other must restore
//! exactly. (Regression: large incompressible messages used to lose their last few
//! hundred bytes when a sync flush was resumed.)

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZFlush};
use viper_ws::deflate::{Compressor, Decompressor};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn compressed_messages_inflate_exactly_with_the_reference_and_our_inflater() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut comp = Compressor::new(15, 1, false);
    let mut ours = Decompressor::new(false);
    let mut reference = InflateState::new_boxed(DataFormat::Raw);
    for i in 0..200 {
        let size = (rng.next() % 300_000) as usize;
        let msg: Vec<u8> = if i % 2 == 0 {
            (0..size).map(|k| b"viper frames "[k % 13]).collect()
        } else {
            (0..size).map(|_| rng.next() as u8).collect()
        };
        let mut z = Vec::new();
        comp.compress(&msg, true, &mut z);
        let mut zt = z.clone();
        zt.extend_from_slice(&[0, 0, 0xff, 0xff]);
        let mut out = vec![0u8; size + 1024];
        let r = inflate(&mut reference, &zt, &mut out, MZFlush::Sync);
        let ref_ok = r.bytes_consumed == zt.len() && out[..r.bytes_written] == msg[..];
        let mut mine = Vec::new();
        let a = ours.inflate(&z, &mut mine, 4 << 20);
        let b = ours.finish_message(&mut mine, 4 << 20);
        let ours_ok = a.is_ok() && b.is_ok() && mine == msg;
        assert!(ref_ok && ours_ok, "message {i} ({size} B): reference ok={ref_ok} (wrote {} consumed {}/{}) ours ok={ours_ok} ({a:?} {b:?} {} B)", r.bytes_written, r.bytes_consumed, zt.len(), mine.len());
    }
}
