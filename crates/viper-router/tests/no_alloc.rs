//! "Lookups allocate nothing": a counting global allocator checks every kind of lookup
//! outcome and every allocation-free way of reading a parameter.
//!
//! The counter is per thread, so tests running in parallel do not disturb each other.

use std::fmt::Write;
use viper_router::{Config, EncodedSlash, Match, Method, Router, TrailingSlash, Value};

#[global_allocator]
static GLOBAL: viper_test_alloc::Counting = viper_test_alloc::Counting;

/// A `fmt::Write` into a fixed array, so formatting a value allocates nothing either.
struct Buf {
    bytes: [u8; 128],
    len: usize,
}

impl Write for Buf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Buf {
    fn new() -> Self {
        Buf {
            bytes: [0; 128],
            len: 0,
        }
    }
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

fn table(config: Config) -> Router<u32> {
    let mut r = Router::with_config(config);
    let routes = [
        (Method::Get, "/"),
        (Method::Get, "/users"),
        (Method::Post, "/users"),
        (Method::Get, "/users/me"),
        (Method::Get, "/users/{id:int}"),
        (Method::Delete, "/users/{id:int}"),
        (Method::Get, "/users/{name}"),
        (Method::Get, "/users/{name}/posts/{post:int}"),
        (Method::Get, "/geo/{lat:float}/{lon:float}"),
        (Method::Get, "/files/{rest:path}"),
        (Method::Get, "/docs/"),
        (Method::Get, "/café"),
        (Method::Get, "/a/{b}/{c}/{d}/{e}/{f}/{g}/{h}"),
    ];
    for (i, (m, p)) in routes.iter().enumerate() {
        r.insert(*m, p, i as u32).unwrap();
    }
    // Enough static siblings at the root for the hashed child table.
    for (i, p) in ["/s0", "/s1", "/s2", "/s3", "/s4", "/s5", "/s6", "/s7"]
        .iter()
        .enumerate()
    {
        r.insert(Method::Get, p, 100 + i as u32).unwrap();
    }
    r
}

/// Runs `f` and returns how many allocations it made on this thread.
fn count<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let (out, c) = viper_test_alloc::count(f);
    (c.allocations, out)
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the guard: a test that could not fail would prove nothing.
    let (n, v) = count(|| vec![1u8; 16]);
    assert_eq!(v.len(), 16);
    assert!(n >= 1, "{n}");
}

#[test]
fn every_lookup_outcome_allocates_nothing() {
    let strict = table(Config::default());
    let redirect = table(Config {
        trailing_slash: TrailingSlash::Redirect,
        encoded_slash: EncodedSlash::Decode,
        ..Config::default()
    });
    let ignore = table(Config {
        trailing_slash: TrailingSlash::Ignore,
        ..Config::default()
    });
    let cases: &[(&Router<u32>, Method, &str, u16)] = &[
        (&strict, Method::Get, "/", 200),
        (&strict, Method::Get, "/users?page=2#top", 200),
        (&strict, Method::Get, "/users/me", 200),
        (&strict, Method::Get, "/users/42", 200),
        (&strict, Method::Get, "/users/J%C3%BCrgen", 200),
        (&strict, Method::Get, "/users/bob/posts/7", 200),
        (&strict, Method::Get, "/users/%34%32", 200),
        (&strict, Method::Get, "/geo/48.85/-2.35", 200),
        (&strict, Method::Get, "/files/a/b%2Fc/d.txt", 200),
        (&strict, Method::Get, "/caf%C3%A9", 200),
        (&strict, Method::Get, "/s5", 200),
        (&strict, Method::Get, "/a/1/2/3/4/5/6/7", 200),
        (&strict, Method::Head, "/users/42", 200),
        (&strict, Method::Put, "/users/42", 405),
        (&strict, Method::Options, "/users", 204),
        (&strict, Method::Get, "/nothing/here", 404),
        (&strict, Method::Get, "/users/%FF", 404),
        (&strict, Method::Get, "/users/a%2Fb", 404),
        (&strict, Method::Get, "/files/%2e%2e/etc", 404),
        (&strict, Method::Get, "relative", 404),
        (&redirect, Method::Get, "/users/?x=1", 308),
        (&redirect, Method::Get, "/docs", 308),
        (&redirect, Method::Get, "/users/a%2Fb", 200),
        (&ignore, Method::Get, "/users/", 200),
        (&ignore, Method::Get, "/users/7/", 200),
    ];
    for &(r, m, target, status) in cases {
        let (n, got) = count(|| r.lookup(m, target).status());
        assert_eq!(got, status, "{m} {target}");
        assert_eq!(n, 0, "{m} {target}: {n} allocations");
    }
    for path in ["/users/5", "/nothing"] {
        let (n, _) = count(|| strict.allowed(path));
        assert_eq!(n, 0, "allowed({path}): {n} allocations");
    }
}

#[test]
fn reading_parameters_allocates_nothing() {
    let r = table(Config::default());
    let redirect = table(Config {
        trailing_slash: TrailingSlash::Redirect,
        ..Config::default()
    });
    let (n, ok) = count(|| {
        let mut out = Buf::new();
        let mut dec = [0u8; 32];
        let Match::Found(f) = r.lookup(Method::Get, "/users/J%C3%BCrgen%20M/posts/9") else {
            return false;
        };
        let name = f.params.str("name");
        let Some(name) = name else { return false };
        let decoded = name.decode_into(&mut dec) == Some("Jürgen M");
        let _ = write!(out, "{name}|{}", f.params.int("post").unwrap_or(0));
        let by_iter = f
            .params
            .iter()
            .filter(|(_, v)| matches!(v, Value::Str(_) | Value::Int(_)))
            .count();
        let Match::Found(g) = r.lookup(Method::Get, "/geo/1.5/-2e1") else {
            return false;
        };
        let geo = (g.params.float("lat"), g.params.float("lon"));
        let Match::Redirect(to) = redirect.lookup(Method::Get, "/users/?q=1") else {
            return false;
        };
        let mut loc = Buf::new();
        let _ = write!(loc, "{to}");
        decoded
            && name.decoded_eq("Jürgen M")
            && name.decode().count() == "Jürgen M".len()
            && out.as_str() == "Jürgen M|9"
            && by_iter == 2
            && geo == (Some(1.5), Some(-20.0))
            && loc.as_str() == "/users?q=1"
    });
    assert!(ok);
    assert_eq!(n, 0, "reading parameters: {n} allocations");
}
