//! A missing peer fails the test by default, and with `VIPER_ALLOW_MISSING_PEERS=1` is
//! recorded in the skip log. Each case re-runs this test binary as a child with a
//! controlled environment, so the outer run's own settings do not matter.

use std::process::Command;
use std::time::Duration;

const ROLE: &str = "VIPER_SUPPORT_TEST_ROLE";

/// The child's body: ask for a program that does not exist.
fn child_role() {
    let got = viper_test_support::program(
        "viper-no-such-program-xyz",
        &["--version"],
        "nothing installs it",
    );
    assert!(got.is_none());
    println!("child returned");
}

fn run_child(test: &str, allow: bool, log: &std::path::Path) -> std::process::Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(ROLE, "child")
        .env("VIPER_SKIP_LOG", log)
        .env_remove("VIPER_ALLOW_MISSING_PEERS");
    if allow {
        cmd.env("VIPER_ALLOW_MISSING_PEERS", "1");
    }
    viper_test_support::run_bounded(&mut cmd, Duration::from_secs(60))
}

fn scratch(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("viper-support-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn missing_peer_fails_by_default() {
    if std::env::var(ROLE).is_ok() {
        return child_role();
    }
    let log = scratch("default.log");
    let out = run_child("missing_peer_fails_by_default", false, &log);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the child passed:\n{text}");
    assert!(
        text.contains("missing peer: viper-no-such-program-xyz"),
        "{text}"
    );
    assert!(!text.contains("child returned"), "{text}");
    assert!(
        !log.exists(),
        "nothing is logged as skipped when skipping is not allowed"
    );
}

#[test]
fn missing_peer_is_logged_when_allowed() {
    if std::env::var(ROLE).is_ok() {
        return child_role();
    }
    let log = scratch("allowed.log");
    let out = run_child("missing_peer_is_logged_when_allowed", true, &log);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("SKIPPED: missing_peer_is_logged_when_allowed"),
        "{text}"
    );
    let logged = std::fs::read_to_string(&log).expect("skip log written");
    assert_eq!(
        logged,
        "missing_peer_is_logged_when_allowed\tviper-no-such-program-xyz\tnothing installs it\n"
    );
    let _ = std::fs::remove_file(&log);
}

#[test]
fn present_program_is_found_and_bounded_runs_are_killed() {
    assert!(viper_test_support::program("sh", &["-c", "true"], "apt-get install dash").is_some());
    let out = viper_test_support::run_with_input(
        Command::new("sh").args(["-c", "cat"]),
        b"round trip",
        Duration::from_secs(10),
    );
    assert_eq!(out.stdout, b"round trip");
    let child = Command::new("sleep")
        .arg("30")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let err = viper_test_support::wait_bounded(child, Duration::from_millis(200)).unwrap_err();
    assert!(err.contains("did not finish"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));
}
