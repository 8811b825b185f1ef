//! Connection state size, without I/O buffers (documented in the README).
use std::mem::size_of;

#[test]
fn connection_state_is_small() {
    let ws = size_of::<viper_ws::WebSocket>();
    let inflate = size_of::<miniz_oxide::inflate::stream::InflateState>();
    let deflate = size_of::<miniz_oxide::deflate::core::CompressorOxide>();
    println!("WebSocket: {ws} B; inflate state (boxed, lazily): {inflate} B; compressor (boxed, lazily): {deflate} B + heap");
    // Inline state stays within a few hundred bytes; compression state is
    // only allocated when a compressed message is sent or received.
    assert!(ws <= 512, "WebSocket grew to {ws} bytes");
}
