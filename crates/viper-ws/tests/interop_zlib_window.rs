//! Our compressor honours a negotiated `*_max_window_bits` below 15: checked
//! by Python's zlib inflating with exactly that window (wbits = -N), which
//! rejects any back-reference further than 2^N bytes.
mod common;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use viper_ws::deflate::Compressor;

const PY: &str = r#"
import sys, zlib
bits = int(sys.argv[1])
d = zlib.decompressobj(wbits=-bits)
for i, line in enumerate(sys.stdin.read().split()):
    want, z = line.split(":")
    out = d.decompress(bytes.fromhex(z) + b"\x00\x00\xff\xff")
    assert out == bytes.fromhex(want), i
print("OK")
"#;

#[test]
fn small_windows_are_valid_for_zlib() {
    let Some(py) = viper_test_support::python_module(&["zlib"]) else {
        return;
    };
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    for bits in 9u8..=14 {
        let mut c = Compressor::new(bits, 6, false);
        let mut input = String::new();
        for i in 0..12usize {
            let msg = format!("message {i} ").repeat(i * 60 + 1).into_bytes();
            let mut z = Vec::new();
            c.compress(&msg, true, &mut z);
            input.push_str(&format!("{}:{}\n", hex(&msg), hex(&z)));
        }
        let mut child = Command::new(&py)
            .args(["-c", PY, &bits.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = common::net::wait_child(child, Duration::from_secs(30)).unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("OK"),
            "bits {bits}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
