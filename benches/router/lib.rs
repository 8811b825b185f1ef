//! Shared fixture for the viper-router benchmarks: GitHub's REST API table loaded into
//! viper-router and into matchit (the router under axum), with example requests.
//!
//! Used by the criterion bench (`benches/router.rs`) and by the instruction-count
//! harness (`examples/instructions.rs`).

use std::hint::black_box;
use viper_router::{Match, Method, Router};

/// The route table: one path per line, preceded by its methods.
pub const TABLE: &str = include_str!("benches/github_routes.txt");

/// One line of [`TABLE`].
pub struct Route {
    /// The methods the path is registered for.
    pub methods: Vec<Method>,
    /// The viper-router pattern.
    pub pattern: &'static str,
}

/// Parses [`TABLE`].
pub fn table() -> Vec<Route> {
    TABLE
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let words: Vec<&str> = l.split(' ').collect();
            let (pattern, methods) = words.split_last().expect("line");
            Route {
                methods: methods
                    .iter()
                    .map(|m| Method::parse(m.as_bytes()).expect("method"))
                    .collect(),
                pattern,
            }
        })
        .collect()
}

/// Rewrites each `{name:type}` segment of `pattern` (type `str` when absent) with
/// `param(name, type)`, keeping static segments as they are.
fn map_params(pattern: &str, param: impl Fn(&str, &str) -> String) -> String {
    let mut out = String::new();
    for (i, seg) in pattern.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(inner) => {
                let (name, ty) = inner.split_once(':').unwrap_or((inner, "str"));
                out.push_str(&param(name, ty));
            }
            None => out.push_str(seg),
        }
    }
    out
}

/// `{name:type}` → matchit syntax (`{name}`, `{*name}` for `path`).
pub fn to_matchit(pattern: &str) -> String {
    map_params(pattern, |name, ty| {
        if ty == "path" {
            format!("{{*{name}}}")
        } else {
            format!("{{{name}}}")
        }
    })
}

/// A request path that reaches `pattern`.
pub fn example(pattern: &str) -> String {
    map_params(pattern, |name, ty| {
        match (name, ty) {
            (_, "int") => "1347",
            (_, "path") => "src/lib/mod.rs",
            ("owner", _) => "rust-lang",
            ("repo", _) => "rust",
            _ => "octo-cat",
        }
        .to_string()
    })
}

/// Paths no route matches (each one fails after some descent into the tree).
pub const MISSES: &[&str] = &[
    "/nope",
    "/userz",
    "/users/octo-cat/nope",
    "/repos/rust-lang/rust/nope",
    "/repos/rust-lang/rust/issues/1347/nope",
    "/repos/rust-lang/rust/pulls/1347/reviews/1/nope",
    "/orgs/octo-cat/teams/x/discussions/1/comments/2",
    "/gists/x/y/z",
    "/search",
    "/projects/columns/cards/1/moves/x",
    "/teams/1/members/x",
    "/user/starred/a",
];

/// Both routers loaded with the same table, and one request per path.
pub struct Fixture {
    /// The viper-router table (one value per `(method, path)` route).
    pub viper: Router<usize>,
    /// The matchit table (one value per path).
    pub matchit: matchit::Router<usize>,
    /// matchit endpoint → handler per method (axum's MethodRouter, reduced to an array).
    pub methods: Vec<[Option<usize>; 9]>,
    /// One request per path: its first method and an example path.
    pub requests: Vec<(Method, String)>,
}

/// A request reaching four parameters deep (two `str`, two `int`).
pub const DEEP: &str = "/repos/rust-lang/rust/pulls/1347/reviews/1347/comments";

/// Builds both routers and checks that they agree on every request and every miss.
pub fn fixture() -> Fixture {
    let routes = table();
    let mut viper = Router::new();
    let mut mr = matchit::Router::new();
    let mut methods = Vec::new();
    let mut requests = Vec::new();
    let mut id = 0;
    for (ep, r) in routes.iter().enumerate() {
        mr.insert(to_matchit(r.pattern), ep)
            .expect("matchit insert");
        let mut per = [None; 9];
        for &m in &r.methods {
            viper.insert(m, r.pattern, id).expect("viper insert");
            per[Method::ALL.iter().position(|x| *x == m).unwrap()] = Some(id);
            id += 1;
        }
        methods.push(per);
        requests.push((r.methods[0], example(r.pattern)));
    }
    let f = Fixture {
        viper,
        matchit: mr,
        methods,
        requests,
    };
    // Both routers must agree on every request before we time them.
    for (m, path) in &f.requests {
        let v = match f.viper.lookup(*m, path) {
            Match::Found(found) => *found.value,
            other => panic!("viper: {m} {path}: {other:?}"),
        };
        assert_eq!(Some(v), matchit_lookup(&f, *m, path), "{m} {path}");
    }
    for path in MISSES {
        assert!(
            matches!(f.viper.lookup(Method::Get, path), Match::NotFound),
            "{path}"
        );
        assert_eq!(matchit_lookup(&f, Method::Get, path), None, "{path}");
    }
    f
}

/// matchit's path lookup followed by the per-method table, as axum does it.
pub fn matchit_lookup(f: &Fixture, m: Method, path: &str) -> Option<usize> {
    let hit = f.matchit.at(path).ok()?;
    black_box(&hit.params);
    let idx = Method::ALL.iter().position(|x| *x == m)?;
    f.methods.get(*hit.value)?[idx]
}
