//! Prints the ratio between Viper and a peer crate measured in the same criterion run.
//!
//! Criterion writes each benchmark's estimates to
//! `target/criterion/<group>/<function>/new/estimates.json`. After the benchmark groups
//! have run, a bench's `main` calls [`print_ratios`] with pairs of benchmark ids
//! (`"group/function"`) and this prints one line per pair:
//!
//! ```text
//! ratio hpack/decode/browser_first: viper 412.3 ns, hpack 1.10 µs → peer/viper = 2.67× (viper faster)
//! ```
//!
//! A pair whose estimates are missing (filtered out on the command line) is skipped.

use std::path::{Path, PathBuf};

/// One comparison: the id of Viper's benchmark and the id of the peer's, both as
/// `"group/function"` (with criterion's parameter suffix if any, e.g. `"echo/viper/1024"`).
#[derive(Clone, Debug)]
pub struct Pair<'a> {
    /// A label for the printed line.
    pub label: &'a str,
    /// Criterion id of the Viper benchmark.
    pub viper: &'a str,
    /// Criterion id of the peer benchmark.
    pub peer: &'a str,
    /// The peer's name, for the printed line.
    pub peer_name: &'a str,
}

fn criterion_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return Path::new(&dir).join("criterion");
    }
    // Benches run with the package directory as cwd; the workspace target is two up.
    let mut dir = std::env::current_dir().unwrap_or_default();
    loop {
        let candidate = dir.join("target").join("criterion");
        if candidate.is_dir() {
            return candidate;
        }
        if !dir.pop() {
            return PathBuf::from("target/criterion");
        }
    }
}

/// Mean time in nanoseconds of the benchmark `id` from the last run, if present.
pub fn mean_ns(id: &str) -> Option<f64> {
    let path = criterion_dir().join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("mean")?.get("point_estimate")?.as_f64()
}

fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// Prints `peer/viper` time ratios (above 1 means Viper is faster) for every pair whose
/// estimates exist, and returns them in the same order (`None` where skipped).
pub fn print_ratios(pairs: &[Pair<'_>]) -> Vec<Option<f64>> {
    println!();
    pairs
        .iter()
        .map(|p| {
            let (Some(v), Some(o)) = (mean_ns(p.viper), mean_ns(p.peer)) else {
                println!("ratio {}: skipped (not measured in this run)", p.label);
                return None;
            };
            let r = o / v;
            let verdict = if r >= 1.0 {
                "viper faster"
            } else {
                "peer faster"
            };
            println!(
                "ratio {}: viper {}, {} {} → {}/viper = {:.2}× ({verdict})",
                p.label,
                human(v),
                p.peer_name,
                human(o),
                p.peer_name,
                r
            );
            Some(r)
        })
        .collect()
}
