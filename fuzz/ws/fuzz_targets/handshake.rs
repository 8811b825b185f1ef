#![no_main]
//! Server handshake validation and client response validation on arbitrary
//! header lists (lines "name:value" separated by '\n').
use libfuzzer_sys::fuzz_target;
use viper_ws::deflate::DeflateConfig;
use viper_ws::handshake::{
    accept, accept_with_limits, ClientHandshake, HandshakeLimits, ServerConfig,
};

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
    // Limits no larger than the defaults, chosen by the input: what they
    // accept, the defaults accept the same way.
    let small = HandshakeLimits {
        max_protocols: usize::from(data.first().copied().unwrap_or(0) % 33),
        max_extensions_len: usize::from(data.get(1).copied().unwrap_or(0)) * 16,
    };
    let limited = accept_with_limits(b"GET", (1, 1), headers.iter().copied(), &cfg, &small);
    let full = accept(b"GET", (1, 1), headers.iter().copied(), &cfg);
    if let Ok(l) = &limited {
        let f = full.as_ref().expect("accepted within smaller limits");
        assert_eq!(l.negotiated, f.negotiated);
        assert_eq!(l.headers, f.headers);
    }
    if let Err(r) = &limited {
        assert!(r.status == 400 || r.status == 426);
    }
    match full {
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
