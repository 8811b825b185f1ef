//! Test-only helpers shared by every Viper test suite.
//!
//! # Peers: a missing one fails
//!
//! Interop tests talk to real implementations (curl, nghttp2's tools, Chromium, Python
//! `h2`/`httpx`/`websockets`/`jinja2`, the FastAPI twin). A test asks for its peer with
//! [`program`], [`python_module`] or [`shared_path`]. When the peer is there the call
//! returns it. When it is not, the test **fails** with a message naming the peer and the
//! command that installs it — unless `VIPER_ALLOW_MISSING_PEERS=1` is set, in which case
//! the call returns `None`, prints `SKIPPED: …`, and appends a line to the skip log
//! ([`skip_log_path`]) that `scripts/test` prints at the end of the run, so skipped tests
//! are never silent.
//!
//! # Where things are
//!
//! - [`workspace_root`]: the repository (found from this crate's manifest directory).
//! - [`python`]: `$VIPER_PYTHON`, else the project venv `<root>/.venv/bin/python` that
//!   `scripts/test` creates, else `python3` on `PATH`.
//! - [`shared_dir`]: `$VIPER_SHARED`, else `<root>/../shared` (public corpora and the
//!   reference application).

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The environment variable that turns a missing peer from a failure into a recorded skip.
pub const ALLOW_MISSING: &str = "VIPER_ALLOW_MISSING_PEERS";

/// The repository's root directory.
pub fn workspace_root() -> PathBuf {
    if let Some(r) = std::env::var_os("VIPER_ROOT") {
        return PathBuf::from(r);
    }
    // crates/viper-test-support -> the root is two levels up.
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| here.to_path_buf())
}

/// The folder of shared public data and specs: `$VIPER_SHARED`, else `<root>/../shared`.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("VIPER_SHARED") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("..").join("shared"),
    }
}

/// The Python interpreter the tests use: `$VIPER_PYTHON`, else the project venv, else
/// `python3`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("VIPER_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = workspace_root().join(".venv").join("bin").join("python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// Where skipped tests are recorded: `$VIPER_SKIP_LOG`, else `<root>/target/viper-skipped.log`.
pub fn skip_log_path() -> PathBuf {
    match std::env::var_os("VIPER_SKIP_LOG") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("target").join("viper-skipped.log"),
    }
}

/// Whether skipping a test whose peer is missing was asked for.
pub fn missing_allowed() -> bool {
    std::env::var(ALLOW_MISSING).as_deref() == Ok("1")
}

/// The running test's name (libtest and nextest name the test thread after the test).
fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string()
}

/// A peer is missing: fail, or (with `VIPER_ALLOW_MISSING_PEERS=1`) record the skip.
///
/// `what` names the peer, `install` the command that provides it. Returns only when
/// skipping is allowed.
pub fn missing(what: &str, install: &str) {
    let test = test_name();
    if !missing_allowed() {
        panic!(
            "missing peer: {what} (needed by {test}). Install it with `{install}`, or run \
             `scripts/test`, which sets everything up; set {ALLOW_MISSING}=1 to skip instead."
        );
    }
    println!("SKIPPED: {test}: {what} not available ({install})");
    let path = skip_log_path();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = writeln!(f, "{test}\t{what}\t{install}");
    }
}

/// Whether `cmd` runs and exits successfully (output discarded).
fn runs(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A program on `PATH`, checked by running it with `probe_args` (e.g. `["--version"]`).
///
/// `None` only when it is missing and skipping is allowed; otherwise a missing program
/// fails the test. `install` is the command that provides it (shown in the message).
pub fn program(name: &str, probe_args: &[&str], install: &str) -> Option<PathBuf> {
    if runs(Command::new(name).args(probe_args)) {
        Some(PathBuf::from(name))
    } else {
        missing(name, install);
        None
    }
}

/// The Python interpreter ([`python`]) if it can import every module in `modules`.
pub fn python_module(modules: &[&str]) -> Option<PathBuf> {
    let py = python();
    let code = modules
        .iter()
        .map(|m| format!("import {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    if runs(Command::new(&py).args(["-c", &code])) {
        Some(py)
    } else {
        missing(
            &format!(
                "Python modules {} (for {})",
                modules.join(", "),
                py.display()
            ),
            "scripts/test (creates .venv with the pinned Python peers)",
        );
        None
    }
}

/// A path inside [`shared_dir`], if it exists.
pub fn shared_path(rel: &str) -> Option<PathBuf> {
    let p = shared_dir().join(rel);
    if p.exists() {
        Some(p)
    } else {
        missing(
            &format!("shared data {}", p.display()),
            "set VIPER_SHARED to the shared folder (default ../shared beside the repository)",
        );
        None
    }
}

/// Runs `cmd` to completion with a hard time limit; past it the process is killed and
/// the test fails. Stdout and stderr are captured.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let program = format!("{:?}", cmd.get_program());
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    wait_bounded(child, limit).unwrap_or_else(|e| panic!("{program}: {e}"))
}

/// Like [`run_bounded`], with `input` written to the process's stdin (then closed).
pub fn run_with_input(cmd: &mut Command, input: &[u8], limit: Duration) -> Output {
    let program = format!("{:?}", cmd.get_program());
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = wait_bounded(child, limit).unwrap_or_else(|e| panic!("{program}: {e}"));
    let _ = writer.join();
    out
}

/// Waits for `child` with a time limit, collecting its output; kills it past the limit.
pub fn wait_bounded(mut child: Child, limit: Duration) -> Result<Output, String> {
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let out = child.stdout.take().map(drain);
    let err = child.stderr.take().map(drain);
    let end = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() >= end => {
                let _ = child.kill();
                let _ = child.wait();
                let e = err
                    .map(|h| h.join().unwrap_or_default())
                    .unwrap_or_default();
                return Err(format!(
                    "did not finish within {limit:?}; stderr: {}",
                    String::from_utf8_lossy(&e)
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e.to_string()),
        }
    };
    Ok(Output {
        status,
        stdout: out
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default(),
        stderr: err
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default(),
    })
}

fn drain<R: std::io::Read + Send + 'static>(mut r: R) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        v
    })
}

/// A child process killed (and reaped) when dropped: servers started by a test never
/// outlive it.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    /// Spawns `cmd` with stdin closed and stdout/stderr inherited (shown on failure).
    pub fn spawn(cmd: &mut Command) -> std::io::Result<Self> {
        cmd.stdin(Stdio::null()).spawn().map(KillOnDrop)
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral loopback port")
}

/// Waits until something accepts TCP connections at `addr`, up to `limit`.
pub fn wait_for_port(addr: SocketAddr, limit: Duration) -> Result<(), String> {
    let end = Instant::now() + limit;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() >= end {
            return Err(format!("nothing listening on {addr} after {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The path of example `name` of package `package`, built (once per test process, with the
/// test's own profile and target directory) by `cargo build --example`: `cargo test --test X`
/// alone does not build examples, and a stale one must not be run. Panics if the build fails.
pub fn example_binary(package: &str, name: &str) -> PathBuf {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let key = format!("{package}/{name}");
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(p) = built.get(&key) {
        return p.clone();
    }
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let target_dir = profile_dir.parent().expect("target dir");
    let mut c = Command::new(env!("CARGO"));
    c.args(["build", "-p", package, "--example", name, "--target-dir"])
        .arg(target_dir);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        c.arg("--release");
    }
    let out = run_bounded(&mut c, Duration::from_secs(900));
    assert!(
        out.status.success(),
        "cargo build -p {package} --example {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = profile_dir.join("examples").join(name);
    built.insert(key, path.clone());
    path
}
