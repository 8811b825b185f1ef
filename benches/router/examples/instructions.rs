//! Instruction counts per lookup, for viper-router and matchit, on the same fixture as
//! the criterion bench. Wall-clock ratios on a loaded 2-core machine swing by ±30 %;
//! instructions executed do not. Run under callgrind, counting only `measured_*`:
//!
//! ```text
//! cargo build --release -p viper-bench-router --example instructions
//! for who in viper matchit; do for set in all miss deep; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect='*measured_*' target/release/examples/instructions $who $set 100
//! done; done 2>&1 | grep -E '^(viper|matchit)|Collected'
//! ```
//!
//! Divide "Collected" by the number of lookups the program prints. Instructions are
//! not time (matchit and viper may differ in memory stalls and branch misses), so read
//! these next to the criterion figures, not instead of them.

use std::hint::black_box;
use viper_bench_router::{fixture, matchit_lookup, Fixture, DEEP, MISSES};
use viper_router::Method;

#[inline(never)]
fn measured_viper(f: &Fixture, reqs: &[(Method, &str)], rounds: usize) {
    for _ in 0..rounds {
        for (m, path) in reqs {
            black_box(&f.viper.lookup(*m, black_box(path)));
        }
    }
}

#[inline(never)]
fn measured_matchit(f: &Fixture, reqs: &[(Method, &str)], rounds: usize) {
    for _ in 0..rounds {
        for (m, path) in reqs {
            black_box(matchit_lookup(f, *m, black_box(path)));
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(who), Some(set)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: instructions viper|matchit all|miss|deep [rounds]");
        std::process::exit(2);
    };
    let rounds: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(100);
    let f = fixture();
    let reqs: Vec<(Method, &str)> = match set.as_str() {
        "all" => f.requests.iter().map(|(m, p)| (*m, p.as_str())).collect(),
        "miss" => MISSES.iter().map(|p| (Method::Get, *p)).collect(),
        "deep" => vec![(Method::Get, DEEP)],
        _ => {
            eprintln!("unknown set {set}");
            std::process::exit(2);
        }
    };
    match who.as_str() {
        "viper" => measured_viper(&f, &reqs, rounds),
        "matchit" => measured_matchit(&f, &reqs, rounds),
        _ => {
            eprintln!("unknown router {who}");
            std::process::exit(2);
        }
    }
    println!("{who} {set}: {} lookups", rounds * reqs.len());
}
