#![no_main]
//! Frame decoder: arbitrary bytes cut into frames; every decoded frame re-encodes to
//! something that decodes to the same frame.
use libfuzzer_sys::fuzz_target;
use viper_h2::frame::{Frame, FrameHeader, FRAME_HEADER_LEN};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Some(h) = FrameHeader::parse(rest) {
        let end = (FRAME_HEADER_LEN + h.length as usize).min(rest.len());
        let payload = &rest[FRAME_HEADER_LEN..end];
        let mut h2 = h;
        h2.length = payload.len() as u32;
        if let Ok(f) = Frame::decode(&h2, payload) {
            if !matches!(f, Frame::Unknown { .. }) {
                let mut out = Vec::new();
                f.encode(&mut out);
                let g = FrameHeader::parse(&out).unwrap();
                assert_eq!(Frame::decode(&g, &out[FRAME_HEADER_LEN..]), Ok(f));
            }
        }
        rest = &rest[end..];
    }
});
