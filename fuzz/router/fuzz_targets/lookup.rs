//! Arbitrary request methods and targets against a fixed table covering every
//! parameter type and policy. Checks the invariants of every answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use viper_router::{Config, EncodedSlash, Match, Method, Router, TrailingSlash, Value};

const ROUTES: &[(Method, &str)] = &[
    (Method::Get, "/"),
    (Method::Get, "/users"),
    (Method::Post, "/users"),
    (Method::Get, "/users/me"),
    (Method::Get, "/users/{id:int}"),
    (Method::Delete, "/users/{id:int}"),
    (Method::Get, "/users/{name}"),
    (Method::Get, "/users/{name}/posts/{post:int}"),
    (Method::Get, "/users/{name}/posts/{slug}"),
    (Method::Get, "/geo/{lat:float}/{lon:float}"),
    (Method::Get, "/files/{rest:path}"),
    (Method::Put, "/files/{rest:path}"),
    (Method::Get, "/docs/"),
    (Method::Get, "/café/{x}"),
    (Method::Options, "/cors"),
    (Method::Get, "/a/{b}/{c}/{d}/{e}/{f}/{g}/{h}"),
    (Method::Get, "/{any:path}"),
];

fn routers() -> &'static [Router<usize>] {
    static R: OnceLock<Vec<Router<usize>>> = OnceLock::new();
    R.get_or_init(|| {
        let mut out = Vec::new();
        for (ts, es) in [
            (TrailingSlash::Strict, EncodedSlash::Reject),
            (TrailingSlash::Redirect, EncodedSlash::Decode),
            (TrailingSlash::Ignore, EncodedSlash::Reject),
        ] {
            let cfg = Config {
                trailing_slash: ts,
                encoded_slash: es,
                ..Config::default()
            };
            let mut r = Router::with_config(cfg);
            for (i, (m, p)) in ROUTES.iter().enumerate() {
                r.insert(*m, p, i).expect("fixed table");
            }
            out.push(r);
        }
        out
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let method = Method::ALL[usize::from(sel) % Method::ALL.len()];
    let router = &routers()[usize::from(sel >> 4) % 3];
    let target = String::from_utf8_lossy(rest);
    match router.lookup(method, &target) {
        Match::Found(f) => {
            let (m, pattern) = ROUTES[*f.value];
            assert_eq!(pattern, f.pattern);
            assert_eq!(m, f.method);
            assert!(f.method == method || (method == Method::Head && f.method == Method::Get));
            assert_eq!(f.params.len(), f.params.iter().count());
            for (name, v) in f.params.iter() {
                assert!(pattern.contains(name));
                if let Value::Str(s) | Value::Path(s) = v {
                    let decoded = s.to_cow();
                    assert_eq!(decoded, s.to_string());
                    assert!(s.decoded_eq(&decoded));
                    assert_eq!(s.decoded_len(), decoded.len());
                    let mut buf = vec![0u8; decoded.len()];
                    assert_eq!(s.decode_into(&mut buf), Some(&*decoded));
                    if matches!(v, Value::Str(_)) {
                        assert!(!decoded.is_empty());
                        if router.config().encoded_slash == EncodedSlash::Reject {
                            assert!(!decoded.contains('/'));
                        }
                    } else {
                        assert!(!decoded.split('/').any(|seg| seg == "." || seg == ".."));
                    }
                }
                if let Value::Float(x) = v {
                    assert!(x.is_finite());
                }
            }
        }
        Match::MethodNotAllowed(a) => {
            assert!(!a.contains(method));
            assert_eq!(router.allowed(&target), Some(a));
        }
        Match::Options(a) => {
            assert_eq!(method, Method::Options);
            assert_eq!(router.allowed(&target), Some(a));
        }
        Match::Redirect(to) => {
            let loc = to.to_string();
            assert!(loc.starts_with('/') && !loc.starts_with("//") && !loc.starts_with("/\\"));
        }
        Match::NotFound => {}
    }
});
