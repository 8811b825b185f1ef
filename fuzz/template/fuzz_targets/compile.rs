//! Compiles arbitrary bytes as a template, with every whitespace option combination.
#![no_main]
use libfuzzer_sys::fuzz_target;
use viper_template::{Config, Environment, MapLoader};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(src) = std::str::from_utf8(rest) else {
        return;
    };
    let config = Config {
        trim_blocks: flags & 1 != 0,
        lstrip_blocks: flags & 2 != 0,
        keep_trailing_newline: flags & 4 != 0,
        autoescape: flags & 8 != 0,
        ..Config::default()
    };
    let env = Environment::with_config(MapLoader::new(), config);
    if let Err(e) = env.template_from_str("fuzz", src) {
        // Every compile error carries a position.
        assert!(e.line() >= 1 && e.column() >= 1, "{e:?}");
    }
});
