//! Wall-clock A/B of viper-router and matchit that tolerates a loaded machine: both
//! routers run the same batch alternately, 400 times, and each keeps its *fastest*
//! batch (interference only ever adds time). Complements the criterion bench (means,
//! which swing by ±30 % here) and `instructions.rs` (no timing at all).
//!
//! ```text
//! cargo run --release -p viper-bench-router --example min_time
//! ```

use std::hint::black_box;
use std::time::Instant;
use viper_bench_router::{fixture, matchit_lookup, DEEP, MISSES};
use viper_router::Method;

const BATCHES: usize = 400;
const REPEAT: usize = 20;

fn main() {
    let f = fixture();
    let all: Vec<(Method, &str)> = f.requests.iter().map(|(m, p)| (*m, p.as_str())).collect();
    let miss: Vec<(Method, &str)> = MISSES.iter().map(|p| (Method::Get, *p)).collect();
    let deep = vec![(Method::Get, DEEP)];
    for (name, set) in [("all", &all), ("miss", &miss), ("deep", &deep)] {
        let (mut viper, mut matchit) = (f64::MAX, f64::MAX);
        for _ in 0..BATCHES {
            let t = Instant::now();
            for _ in 0..REPEAT {
                for (m, p) in set.iter() {
                    black_box(&f.viper.lookup(*m, black_box(p)));
                }
            }
            viper = viper.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            for _ in 0..REPEAT {
                for (m, p) in set.iter() {
                    black_box(matchit_lookup(&f, *m, black_box(p)));
                }
            }
            matchit = matchit.min(t.elapsed().as_secs_f64());
        }
        let per = 1e9 / (REPEAT * set.len()) as f64;
        println!(
            "{name}: viper {:.1} ns/lookup, matchit {:.1} ns/lookup, matchit/viper {:.2}x",
            viper * per,
            matchit * per,
            matchit / viper
        );
    }
}
