#![no_main]
//! Server handshake validation and client response validation on arbitrary
//! header lists (lines "name:value" separated by '\n').
use libfuzzer_sys::fuzz_target;
use viper_ws::deflate::DeflateConfig;
use viper_ws::handshake::{accept, ClientHandshake, ServerConfig};

fuzz_target!(|data: &[u8]| {
    let headers: Vec<(&[u8], &[u8])> = data
        .split(|b| *b == b'\n')
        .filter_map(|l| {
            let i = l.iter().position(|b| *b == b':')?;
            Some((&l[..i], &l[i + 1..]))
        })
        .collect();
    let cfg = ServerConfig {
        protocols: vec!["chat".into(), "v2".into()],
        deflate: Some(DeflateConfig {
            client_max_window_bits: 11,
            ..DeflateConfig::default()
        }),
    };
    match accept(b"GET", (1, 1), headers.iter().copied(), &cfg) {
        Ok(a) => {
            let mut out = Vec::new();
            a.write_response(&mut out);
            let _ = a.into_websocket(viper_ws::Config::default(), data);
        }
        Err(r) => {
            assert!(r.status == 400 || r.status == 426);
            let mut out = Vec::new();
            r.write_response(&mut out);
        }
    }
    let c = ClientHandshake::new([3; 16])
        .protocols(["chat"])
        .deflate(DeflateConfig {
            server_max_window_bits: 12,
            ..DeflateConfig::default()
        });
    let _ = c.validate_response(101, headers.iter().copied());
});
