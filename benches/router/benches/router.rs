//! viper-router vs matchit (the router under axum) on GitHub's REST API table.
//!
//! Both routers get the same 340 paths / 516 (method, path) routes from
//! `github_routes.txt`. matchit maps a path to an endpoint and a small per-endpoint
//! method table picks the handler, as axum does; viper-router does both in `lookup`
//! (and parses the `int` parameters).

use criterion::{criterion_group, Criterion};
use std::hint::black_box;
use std::time::Duration;
use viper_bench_router::{fixture, matchit_lookup, DEEP, MISSES};
use viper_bench_support::{print_ratios, Pair};
use viper_router::Method;

// Both sides hand their result to `black_box` by reference: viper's `Match` (160 bytes,
// parameters inline) is written once into the caller's frame by `lookup`, as matchit's
// `Params` are; passing it by value would time a second copy made by the harness.
fn bench(c: &mut Criterion) {
    let f = fixture();
    println!(
        "github table: {} paths, {} routes, {} request paths",
        f.requests.len(),
        f.viper.len(),
        f.requests.len()
    );
    let mut g = c.benchmark_group("github");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("viper_all", |b| {
        b.iter(|| {
            for (m, path) in &f.requests {
                black_box(&f.viper.lookup(*m, black_box(path)));
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
                black_box(&f.viper.lookup(Method::Get, black_box(path)));
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
    let deep = DEEP;
    g.bench_function("viper_deep", |b| {
        b.iter(|| black_box(&f.viper.lookup(Method::Get, black_box(deep))).status())
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
