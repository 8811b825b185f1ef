//! Seed 004's stress scenarios against viper-esp-idf (the `esp_idf_server` example as its
//! own process, so its RSS can be read from /proc), from the shared script
//! `conformance/stress/stress.py` that every adapter runs: WebSocket fan-out to 10 clients
//! at 20 msg/s, a client that stops reading dropped without delaying the others, and 1 000
//! connect/disconnect cycles with RSS back within 5 % of its baseline. Each is bounded.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use viper_test_support::{
    example_binary, free_port, python_module, run_bounded, wait_for_port, workspace_root,
    KillOnDrop,
};

const LIMIT: Duration = Duration::from_secs(120);

fn start(extra: &[&str]) -> (KillOnDrop, SocketAddr) {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let bin = example_binary("viper-esp-idf", "esp_idf_server");
    let server = KillOnDrop::spawn(
        Command::new(bin)
            .args(["--addr", &addr.to_string()])
            .args(extra),
    )
    .expect("start server");
    wait_for_port(addr, Duration::from_secs(20)).expect("server listens");
    (server, addr)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn script() -> PathBuf {
    workspace_root().join("conformance/stress/stress.py")
}

/// Runs a scenario of the shared script; returns its result line (the test fails if the
/// script does).
fn stress(py: &std::path::Path, args: &[&str]) -> String {
    let out = run_bounded(Command::new(py).arg(script()).args(args), LIMIT);
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success(),
        "{args:?}: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    text
}

#[test]
fn fan_out_to_ten_clients_at_20_messages_per_second() {
    let Some(py) = python_module(&["websockets"]) else {
        return;
    };
    let (_server, addr) = start(&["--max-clients", "12"]);
    let line = stress(
        &py,
        &[
            "fanout",
            &format!("ws://{addr}/ws/chat"),
            "--clients",
            "10",
            "--messages",
            "40",
            "--rate",
            "20",
        ],
    );
    assert_eq!(
        line,
        "fanout: 10 of 10 received all 40 once and in order, extra 0"
    );
}

/// A chat member that never reads: once its output buffer (64 KiB here) is full it is cut
/// off, and the three members that read get every message, in order, without stalling.
#[test]
fn a_client_that_stops_reading_is_dropped_without_delaying_the_others() {
    let Some(py) = python_module(&["websockets"]) else {
        return;
    };
    let (_server, addr) = start(&["--max-output", "65536"]);
    let line = stress(
        &py,
        &[
            "slow",
            &format!("ws://{addr}/ws/chat"),
            "--readers",
            "3",
            "--messages",
            "1500",
            "--size",
            "4096",
        ],
    );
    assert!(
        line.starts_with("slow: readers got [1500, 1500, 1500] in "),
        "{line}"
    );
    assert!(line.contains("was dropped after"), "{line}");
}

/// 1 000 connect / request / close cycles: all answered, RSS back within 5 % of the
/// baseline taken after 100 warm-up cycles.
#[test]
fn a_thousand_connect_cycles_leave_rss_at_its_baseline() {
    let (server, addr) = start(&[]);
    let pid = server.0.id();
    let Some(py) = python_module(&["websockets"]) else {
        return;
    };
    stress(&py, &["cycles", &addr.to_string(), "--n", "100"]);
    let base = rss_kib(pid);
    let line = stress(&py, &["cycles", &addr.to_string(), "--n", "1000"]);
    assert!(
        line.starts_with("cycles: 1000 of 1000 answered 200"),
        "{line}"
    );
    std::thread::sleep(Duration::from_millis(200));
    let after = rss_kib(pid);
    println!("RSS after 100 warm-up cycles {base} KiB, after 1000 more {after} KiB");
    assert!(
        after * 100 <= base * 105,
        "RSS grew from {base} to {after} KiB"
    );
}
