//! LOAD TEST: 10,000 concurrent idle HTTP/1.1 keep-alive connections on loopback, and
//! the server's memory per connection (RSS delta / connections).
//!
//! The server runs in a child process (this test binary re-executed with
//! `VIPER_LOAD_ROLE=server`), so each side needs about 10,000 descriptors and the RSS
//! figure is the server's alone. Both raise their soft descriptor limit to the hard
//! one (and the hard one too when allowed, e.g. as root in CI). Bounded: 10,000
//! connections, a 60 s budget for the whole test (it takes a few seconds), and the
//! child exits on its own after 120 s whatever happens.
//!
//! `cargo test -p viper-tokio --test load -- --nocapture` prints the figure
//! (`--release` for the optimised one).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::demo_app;
use viper_tokio::{ServerConfig, SharedStats};

const CONNECTIONS: usize = 10_000;
const WARM: usize = 200;
const BUDGET: Duration = Duration::from_secs(60);
const REQUEST: &[u8] = b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n";
const RESPONSE_END: &[u8] = b"Hello, world!";

/// Raises the soft descriptor limit to at least `want` if the hard limit (or root)
/// allows; returns the soft limit in force.
#[allow(clippy::unnecessary_cast)] // `rlim_t` is not `u64` on every target
fn raise_fd_limit(want: u64) -> u64 {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `r` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } != 0 {
        return 0;
    }
    if r.rlim_cur as u64 >= want {
        return r.rlim_cur as u64;
    }
    let mut new = r;
    if (r.rlim_max as u64) < want {
        new.rlim_max = want as libc::rlim_t; // only succeeds with privilege
    }
    new.rlim_cur = new.rlim_max;
    // SAFETY: `new` is a valid rlimit; failure leaves the limit unchanged.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } != 0 {
        new.rlim_max = r.rlim_max;
        new.rlim_cur = r.rlim_max;
        // SAFETY: as above.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) };
    }
    // SAFETY: as for the first call.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) };
    r.rlim_cur as u64
}

/// The child: serve the demo app on an ephemeral port, print it, and stop when the
/// parent closes our stdin (or after 120 s).
fn server_role() {
    raise_fd_limit(CONNECTIONS as u64 + 256);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("VIPER_LOAD_PORT={}", listener.local_addr().unwrap().port());
        let cfg = ServerConfig {
            max_connections: CONNECTIONS + 100,
            ..ServerConfig::default()
        };
        let stop = async {
            let stdin_closed = tokio::task::spawn_blocking(|| {
                let mut sink = Vec::new();
                let _ = std::io::stdin().read_to_end(&mut sink);
            });
            let _ = tokio::time::timeout(Duration::from_secs(120), stdin_closed).await;
        };
        viper_tokio::serve(listener, demo_app(64), cfg, SharedStats::new(), stop)
            .await
            .unwrap();
    });
}

/// Kills the child server however the test ends.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// One request on `s`, read to the end of the (fixed, small) response.
fn round_trip(s: &mut TcpStream) {
    s.write_all(REQUEST).unwrap();
    let mut buf = [0u8; 512];
    let mut got = 0;
    while !buf[..got].ends_with(RESPONSE_END) {
        let n = s.read(&mut buf[got..]).unwrap();
        assert!(n > 0, "server closed a keep-alive connection");
        got += n;
        assert!(got < buf.len(), "unexpected response");
    }
    assert!(buf.starts_with(b"HTTP/1.1 200 OK\r\n"));
}

fn connect(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    round_trip(&mut s);
    s
}

#[test]
#[cfg(target_os = "linux")]
fn load_ten_thousand_idle_keep_alive_connections() {
    if std::env::var("VIPER_LOAD_ROLE").as_deref() == Ok("server") {
        server_role();
        return;
    }
    let limit = raise_fd_limit(CONNECTIONS as u64 + 256);
    if limit < CONNECTIONS as u64 + 64 {
        viper_test_support::missing(
            &format!("a descriptor limit of {CONNECTIONS} (it is {limit} and cannot be raised)"),
            "ulimit -n 20000",
        );
        return;
    }
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "load_ten_thousand_idle_keep_alive_connections",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("VIPER_LOAD_ROLE", "server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.stdout.take().unwrap();
    let guard = ChildGuard(child);
    // The port line, read on a thread so the wait is bounded.
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Read to the end so the child never writes into a closed pipe.
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            // libtest may print "test <name> ... " on the same line first.
            if let Some((_, p)) = line.split_once("VIPER_LOAD_PORT=") {
                let _ = port_tx.send(p.trim().parse::<u16>().ok());
            }
        }
    });
    let port = port_rx.recv_timeout(Duration::from_secs(30)).ok().flatten();
    let addr = SocketAddr::from(([127, 0, 0, 1], port.expect("the server's port")));

    let mut conns = Vec::with_capacity(CONNECTIONS);
    for _ in 0..WARM {
        conns.push(connect(addr));
    }
    std::thread::sleep(Duration::from_millis(200));
    let rss_warm = rss_kib(pid);
    while conns.len() < CONNECTIONS {
        conns.push(connect(addr));
        assert!(
            started.elapsed() < BUDGET,
            "only {} connections within {BUDGET:?}",
            conns.len()
        );
    }
    std::thread::sleep(Duration::from_millis(200));
    let rss_full = rss_kib(pid);
    let fds = open_fds(pid);
    assert!(
        fds >= CONNECTIONS,
        "server holds {fds} descriptors for {CONNECTIONS} connections"
    );
    // They are live keep-alive connections: the first, middle and last still answer.
    for i in [0, CONNECTIONS / 2, CONNECTIONS - 1] {
        round_trip(&mut conns[i]);
    }
    let per_conn = (rss_full.saturating_sub(rss_warm) * 1024) / (CONNECTIONS - WARM) as u64;
    println!(
        "LOAD: {CONNECTIONS} idle keep-alive connections held in {:.1} s; server RSS {rss_warm} KiB \
         with {WARM} -> {rss_full} KiB with {CONNECTIONS}: {per_conn} bytes per connection \
         ({} build)",
        started.elapsed().as_secs_f64(),
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    // A regression bound at twice the measured figure (about 4 KiB, see the README).
    assert!(per_conn < 8 * 1024, "{per_conn} bytes per idle connection");
    drop(conns);
    drop(guard);
}
