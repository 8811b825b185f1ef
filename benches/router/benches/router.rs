//! viper-router vs matchit (the router under axum) on GitHub's REST API table.
//!
//! Both routers get the same 340 paths / 516 (method, path) routes from
//! `github_routes.txt`. matchit maps a path to an endpoint and a small per-endpoint
//! method table picks the handler, as axum does; viper-router does both in `lookup`
//! (and parses the `int` parameters).

use criterion::{criterion_group, Criterion};
use std::hint::black_box;
use std::time::Duration;
use viper_bench_support::{print_ratios, Pair};
use viper_router::{Match, Method, Router};

const TABLE: &str = include_str!("github_routes.txt");

struct Route {
    methods: Vec<Method>,
    pattern: &'static str,
}

fn table() -> Vec<Route> {
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

/// `{name:type}` → matchit syntax (`{name}`, `{*name}` for `path`).
fn to_matchit(pattern: &str) -> String {
    let mut out = String::new();
    for (i, seg) in pattern.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(inner) => {
                let (name, ty) = inner.split_once(':').unwrap_or((inner, "str"));
                if ty == "path" {
                    out.push_str(&format!("{{*{name}}}"));
                } else {
                    out.push_str(&format!("{{{name}}}"));
                }
            }
            None => out.push_str(seg),
        }
    }
    out
}

/// A request path that reaches `pattern`.
fn example(pattern: &str) -> String {
    let mut out = String::new();
    for (i, seg) in pattern.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(inner) => {
                let (name, ty) = inner.split_once(':').unwrap_or((inner, "str"));
                match (name, ty) {
                    (_, "int") => out.push_str("1347"),
                    (_, "path") => out.push_str("src/lib/mod.rs"),
                    ("owner", _) => out.push_str("rust-lang"),
                    ("repo", _) => out.push_str("rust"),
                    _ => out.push_str("octo-cat"),
                }
            }
            None => out.push_str(seg),
        }
    }
    out
}

const MISSES: &[&str] = &[
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

struct Fixture {
    viper: Router<usize>,
    matchit: matchit::Router<usize>,
    /// matchit endpoint → handler per method (axum's MethodRouter, reduced to an array).
    methods: Vec<[Option<usize>; 9]>,
    requests: Vec<(Method, String)>,
}

fn fixture() -> Fixture {
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
    println!(
        "github table: {} paths, {} routes, {} request paths",
        routes.len(),
        f.viper.len(),
        f.requests.len()
    );
    f
}

fn matchit_lookup(f: &Fixture, m: Method, path: &str) -> Option<usize> {
    let hit = f.matchit.at(path).ok()?;
    black_box(&hit.params);
    let idx = Method::ALL.iter().position(|x| *x == m)?;
    f.methods.get(*hit.value)?[idx]
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let mut g = c.benchmark_group("github");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("viper_all", |b| {
        b.iter(|| {
            for (m, path) in &f.requests {
                black_box(f.viper.lookup(*m, black_box(path)));
            }
        })
    });
    g.bench_function("matchit_all", |b| {
        b.iter(|| {
            for (m, path) in &f.requests {
                black_box(matchit_lookup(&f, *m, black_box(path)));
            }
        })
    });
    g.bench_function("viper_miss", |b| {
        b.iter(|| {
            for path in MISSES {
                black_box(f.viper.lookup(Method::Get, black_box(path)));
            }
        })
    });
    g.bench_function("matchit_miss", |b| {
        b.iter(|| {
            for path in MISSES {
                black_box(matchit_lookup(&f, Method::Get, black_box(path)));
            }
        })
    });
    let deep = "/repos/rust-lang/rust/pulls/1347/reviews/1347/comments";
    g.bench_function("viper_deep", |b| {
        b.iter(|| black_box(f.viper.lookup(Method::Get, black_box(deep))))
    });
    g.bench_function("matchit_deep", |b| {
        b.iter(|| black_box(matchit_lookup(&f, Method::Get, black_box(deep))))
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_ratios(&[
        Pair {
            label: "github/all (340 lookups)",
            viper: "github/viper_all",
            peer: "github/matchit_all",
            peer_name: "matchit",
        },
        Pair {
            label: "github/miss (12 lookups)",
            viper: "github/viper_miss",
            peer: "github/matchit_miss",
            peer_name: "matchit",
        },
        Pair {
            label: "github/deep (1 lookup, 4 params)",
            viper: "github/viper_deep",
            peer: "github/matchit_deep",
            peer_name: "matchit",
        },
    ]);
}
