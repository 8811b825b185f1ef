//! Conformance runner for viper-template: every case is rendered by viper-template and
//! by Python Jinja2 (`python3 -c 'import jinja2'` must work), and must come out
//! byte-identical or fail in both.
//!
//! ```sh
//! cargo run -p viper-conformance-jinja                 # the built-in corpus, per group
//! cargo run -p viper-conformance-jinja -- more.jsonl   # plus cases from files
//! ```
//!
//! A case file has one JSON object per line:
//! `{"main": "<template>", "templates": {"name": "<source>"}, "ctx": {…},
//!   "opts": {"lenient": false, "no_autoescape": false, "trim": false, "lstrip": false,
//!   "keep_nl": false}}` — only `main` is required. Exit status: 0 when everything
//! matches, 1 on a mismatch, 2 when Jinja2 is missing or a file cannot be read.

#[path = "../../../crates/viper-template/tests/corpus/mod.rs"]
mod corpus;

use std::process::ExitCode;
use std::time::Duration;

use corpus::{runner, Case, Opts};

fn parse_case(line: &str) -> Result<Case, String> {
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let main = v["main"]
        .as_str()
        .ok_or("missing \"main\" (the template to render)")?
        .to_string();
    let extra = match v.get("templates") {
        None => Vec::new(),
        Some(t) => t
            .as_object()
            .ok_or("\"templates\" must be an object")?
            .iter()
            .map(|(k, s)| {
                s.as_str()
                    .map(|s| (k.clone(), s.to_string()))
                    .ok_or_else(|| format!("template {k:?} must be a string"))
            })
            .collect::<Result<_, _>>()?,
    };
    let ctx = v
        .get("ctx")
        .map_or_else(|| "{}".to_string(), |c| c.to_string());
    let flag = |name: &str| v["opts"][name].as_bool().unwrap_or(false);
    let opts = Opts {
        lenient: flag("lenient"),
        no_autoescape: flag("no_autoescape"),
        trim: flag("trim"),
        lstrip: flag("lstrip"),
        keep_nl: flag("keep_nl"),
    };
    Ok(Case {
        main,
        extra,
        ctx,
        opts,
    })
}

fn main() -> ExitCode {
    let Some(version) = runner::jinja_version() else {
        eprintln!("python3 with jinja2 is required (pip install jinja2)");
        return ExitCode::from(2);
    };
    let mut groups: Vec<(String, Vec<Case>)> = corpus::grouped()
        .into_iter()
        .map(|(name, cases)| (name.to_string(), cases))
        .collect();
    for path in std::env::args().skip(1) {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(2);
            }
        };
        let mut cases = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match parse_case(line) {
                Ok(c) => cases.push(c),
                Err(e) => {
                    eprintln!("{path}:{}: {e}", i + 1);
                    return ExitCode::from(2);
                }
            }
        }
        groups.push((path, cases));
    }
    println!("viper-template vs Jinja2 {version}");
    let (mut total, mut errors, mut failed) = (0, 0, 0);
    for (name, cases) in &groups {
        let report = match runner::compare(cases, Duration::from_secs(300)) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{name}: {e}");
                return ExitCode::from(2);
            }
        };
        println!(
            "{name:<42} {:>5} cases {:>5} error cases {:>4} mismatches",
            report.cases,
            report.errors,
            report.mismatches.len()
        );
        for m in &report.mismatches {
            println!("  {m}");
        }
        total += report.cases;
        errors += report.errors;
        failed += report.mismatches.len();
    }
    println!(
        "{:<42} {total:>5} cases {errors:>5} error cases {failed:>4} mismatches",
        "total"
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
