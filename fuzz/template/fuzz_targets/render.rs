//! Renders arbitrary templates (which may include/extend each other and recurse) under
//! tight limits: must terminate with output within the limit or a located error, never
//! panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use viper_template::{Config, Environment, MapLoader, Value};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(src) = std::str::from_utf8(rest) else {
        return;
    };
    // Up to three templates separated by NUL: "main", "a", "b".
    let mut parts = src.splitn(3, '\0');
    let mut loader = MapLoader::new();
    for name in ["main", "a", "b"] {
        if let Some(p) = parts.next() {
            loader.insert(name, p);
        }
    }
    let config = Config {
        trim_blocks: flags & 1 != 0,
        lstrip_blocks: flags & 2 != 0,
        strict_undefined: flags & 4 != 0,
        autoescape: flags & 8 != 0,
        max_output_bytes: 64 * 1024,
        max_loop_iterations: 2_000,
        max_depth: 8,
        max_nesting: 32,
        max_recursion: 60,
        ..Config::default()
    };
    let env = Environment::with_config(loader, config);
    let ctx = Value::map([
        ("s", Value::from("<a href='x'>&</a>")),
        ("n", Value::from(42)),
        ("f", Value::from(2.5)),
        ("l", Value::list([1, 2, 3])),
        (
            "m",
            Value::map([("k", Value::from("v")), ("z", Value::list(["x", "y"]))]),
        ),
        ("none", Value::NONE),
    ]);
    match env.render("main", &ctx) {
        Ok(out) => assert!(out.len() <= 64 * 1024),
        // Every render error points into one of the templates.
        Err(e) => assert!(
            !e.template().is_empty() && e.line() >= 1 && e.column() >= 1,
            "{e:?}"
        ),
    }
});
