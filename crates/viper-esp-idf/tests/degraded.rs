//! viper-esp-idf over degraded networks: the server in one network namespace, the clients
//! in another, joined by `linkem` (viper-test-support's link emulator: TAP in each
//! namespace, frames forwarded with one-way delay, loss and a rate limit, because this
//! kernel has no `sch_netem`). Each scenario — 200 ms delay, 10 % loss, 100 kbit/s, and all
//! three together — runs three WebSocket sessions at once whose messages (random bytes, up to 1.75 KiB) must
//! all come back complete and in order, and an HTTP/1.1 request.
//!
//! Needs root (namespaces, TAP), iproute2 and the venv's `websockets`.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use viper_test_support::{
    example_binary, missing, program, python_module, run_bounded, run_with_input, KillOnDrop,
};

const LIMIT: Duration = Duration::from_secs(120);

/// Two namespaces with a TAP device each, deleted with everything in them on drop.
struct Pair {
    server: String,
    client: String,
}

fn sh(ns: &str, cmd: &str) -> bool {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns]).args(cmd.split(' '));
    run_bounded(&mut c, LIMIT).status.success()
}

impl Pair {
    fn new() -> Option<Pair> {
        static N: AtomicUsize = AtomicUsize::new(0);
        program("ip", &["-V"], "apt-get install iproute2")?;
        let k = N.fetch_add(1, Ordering::Relaxed);
        let p = Pair {
            server: format!("vdeg{}s{k}", std::process::id()),
            client: format!("vdeg{}c{k}", std::process::id()),
        };
        for ns in [&p.server, &p.client] {
            let ok = Command::new("ip")
                .args(["netns", "add", ns])
                .status()
                .map(|s| s.success());
            if !matches!(ok, Ok(true)) {
                missing("root (ip netns add)", "run the tests as root, as CI does");
                return None;
            }
        }
        for (ns, ip) in [(&p.server, "10.77.0.2/24"), (&p.client, "10.77.0.1/24")] {
            for cmd in [
                "ip link set lo up".to_string(),
                "ip tuntap add dev tap0 mode tap".to_string(),
                format!("ip addr add {ip} dev tap0"),
                "ip link set tap0 up".to_string(),
            ] {
                assert!(sh(ns, &cmd), "{ns}: {cmd}");
            }
        }
        Some(p)
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for ns in [&self.server, &self.client] {
            if let Ok(o) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn linkem_binary() -> std::path::PathBuf {
    // A bin of viper-test-support; built like an example so a stale one is never run.
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let mut c = Command::new(env!("CARGO"));
    c.args([
        "build",
        "-p",
        "viper-test-support",
        "--bin",
        "linkem",
        "--target-dir",
    ])
    .arg(profile_dir.parent().unwrap());
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        c.arg("--release");
    }
    let out = run_bounded(&mut c, Duration::from_secs(600));
    assert!(
        out.status.success(),
        "build linkem: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    profile_dir.join("linkem")
}

fn scenario(name: &str, link_args: &[&str]) {
    let Some(py) = python_module(&["websockets"]) else {
        return;
    };
    let Some(_) = program("curl", &["--version"], "apt-get install curl") else {
        return;
    };
    let Some(pair) = Pair::new() else { return };
    let stats = std::env::temp_dir().join(format!("linkem-{}-{name}.txt", std::process::id()));
    let linkem = linkem_binary();
    let mut args: Vec<String> = vec![
        "--a".into(),
        format!("{}:tap0", pair.client),
        "--b".into(),
        format!("{}:tap0", pair.server),
        "--stats".into(),
        stats.display().to_string(),
    ];
    args.extend(link_args.iter().map(|s| s.to_string()));
    let _link = KillOnDrop::spawn(Command::new(&linkem).args(&args)).expect("start linkem");
    let server_bin = example_binary("viper-esp-idf", "esp_idf_server");
    let _server = KillOnDrop::spawn(
        Command::new("ip")
            .args(["netns", "exec", &pair.server])
            .arg(&server_bin)
            .args(["--addr", "10.77.0.2:8080"]),
    )
    .expect("start the server");
    // Wait until the server answers through the link.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = run_bounded(
            Command::new("ip").args([
                "netns",
                "exec",
                &pair.client,
                "curl",
                "-s",
                "-m",
                "10",
                "http://10.77.0.2:8080/hello",
            ]),
            LIMIT,
        );
        if out.stdout == b"Hello, world!" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: no answer through the link within 60 s"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let script = r#"
import asyncio, os, websockets
async def session(k):
    async with websockets.connect("ws://10.77.0.2:8080/ws", open_timeout=60, ping_interval=None, close_timeout=30) as c:
        for i in range(8):
            msg = bytes([k, i]) + os.urandom(i * 250)  # incompressible (permessage-deflate is on)
            await c.send(msg)
            got = await asyncio.wait_for(c.recv(), 60)
            assert got == msg, (k, i, len(got))
    return k
async def main():
    done = await asyncio.gather(*(session(k) for k in range(3)))
    print("sessions", sorted(done))
asyncio.run(main())
"#;
    let started = Instant::now();
    let out = run_with_input(
        Command::new("ip")
            .args(["netns", "exec", &pair.client])
            .arg(&py)
            .arg("-"),
        script.as_bytes(),
        LIMIT,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        "sessions [0, 1, 2]\n",
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(Duration::from_millis(600));
    let counts = std::fs::read_to_string(&stats).unwrap_or_default();
    let _ = std::fs::remove_file(&stats);
    println!("{name}: 3 WebSocket sessions x 8 messages complete and in order in {:.1} s; link {counts:?}", started.elapsed().as_secs_f64());
    if link_args.contains(&"--loss-pct") {
        let dropped: u64 = counts
            .lines()
            .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
            .sum();
        assert!(dropped > 0, "{name}: the link dropped nothing: {counts:?}");
    }
}

#[test]
fn delay_200ms() {
    scenario("delay", &["--delay-ms", "200"]);
}

#[test]
fn loss_10_percent() {
    scenario("loss", &["--loss-pct", "10", "--seed", "7"]);
}

#[test]
fn rate_100_kbit() {
    scenario("rate", &["--rate-kbit", "100"]);
}

#[test]
fn delay_loss_and_rate_together() {
    scenario(
        "combined",
        &[
            "--delay-ms",
            "200",
            "--loss-pct",
            "10",
            "--rate-kbit",
            "100",
            "--seed",
            "3",
        ],
    );
}
