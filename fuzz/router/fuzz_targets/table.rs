//! Arbitrary route tables: the first lines are patterns to insert, the rest are paths
//! to look up. Insertion must either succeed or fail cleanly; an accepted pattern must
//! be found again by its own text when that text is a plain path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use viper_router::{Match, Method, Router};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let mut r = Router::new();
    let mut accepted = Vec::new();
    for (i, line) in lines.by_ref().take(16).enumerate() {
        if line.is_empty() {
            break;
        }
        let method = Method::ALL[i % Method::ALL.len()];
        if r.insert(method, line, i).is_ok() {
            accepted.push((method, line.to_owned()));
        }
    }
    assert_eq!(r.len(), accepted.len());
    for (method, pattern) in &accepted {
        // A pattern without parameters, '%' or empty segments is its own example path.
        if !pattern.contains(['{', '%']) && !pattern.ends_with('/') {
            match r.lookup(*method, pattern) {
                Match::Found(f) => assert_eq!(f.pattern, pattern),
                other => panic!("{pattern} not found: {other:?}"),
            }
        }
    }
    for path in lines {
        for m in Method::ALL {
            let _ = r.lookup(m, path);
        }
        let _ = r.allowed(path);
    }
});
