//! Differential test against Python Jinja2: every case is rendered by viper-template and
//! by one `python3` process running jinja2, and the outputs must be byte-identical (or
//! both must fail). The same comparison, with a per-group report and extra cases from a
//! file, is `cargo run -p viper-conformance-jinja`.

mod corpus;

use std::time::Duration;

use corpus::runner;

#[test]
fn corpus_matches_python_jinja2() {
    let Some(version) = runner::jinja_version() else {
        viper_test_support::missing("Python jinja2", "scripts/test (creates .venv)");
        return;
    };
    let cases = corpus::all();
    assert!(cases.len() >= 300, "corpus has {} cases", cases.len());
    let report = runner::compare(&cases, Duration::from_secs(120)).unwrap();
    println!(
        "jinja2 {version} differential: {} cases ({} error cases), {} mismatches",
        report.cases,
        report.errors,
        report.mismatches.len()
    );
    assert!(
        report.mismatches.is_empty(),
        "{} of {} cases differ from Jinja2:\n{}",
        report.mismatches.len(),
        report.cases,
        report.mismatches.join("\n")
    );
}
