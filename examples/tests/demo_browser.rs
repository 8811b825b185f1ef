//! Headless Chromium opens the demo page (served in-process from
//! `viper_examples::demo::app`) and the test reads from the dumped DOM that the page's
//! WebSocket chat hello came back as the server's broadcast and that at least three SSE
//! readings arrived.

use std::process::{Command, Stdio};
use std::time::Duration;

use viper_tokio::{ServerConfig, SharedStats};

/// Whether chromium runs; a missing peer fails the test unless skipping is allowed
/// (viper-test-support).
fn chromium_available() -> bool {
    viper_test_support::program("chromium", &["--version"], "apt-get install chromium").is_some()
}

/// Runs headless chromium on `url` with `--dump-dom` and returns (stdout, stderr);
/// kills it after `limit`.
fn dump_dom(url: &str, limit: Duration) -> (String, String) {
    let profile = std::env::temp_dir().join(format!(
        "viper-demo-chromium-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-quic",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            // Virtual time stands still while a fetch is pending, so this budget runs
            // out only after the page's first SSE stream (10 readings) has ended.
            "--virtual-time-budget=3000",
            "--dump-dom",
            url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chromium");
    let result = viper_test_support::wait_bounded(child, limit);
    let _ = std::fs::remove_dir_all(&profile);
    let out = result.unwrap_or_else(|e| panic!("chromium: {e}"));
    let out_s = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out_s, err)
}

/// The text of the element `<tag id="id">…</tag>` in `dom` (up to its first `<`).
fn text_of<'a>(dom: &'a str, tag: &str, id: &str) -> Option<&'a str> {
    let open = format!("<{tag} id=\"{id}\">");
    let rest = &dom[dom.find(&open)? + open.len()..];
    rest.split('<').next()
}

/// The inner HTML of `<ul id="id">…</ul>` in `dom`.
fn list_of<'a>(dom: &'a str, id: &str) -> Option<&'a str> {
    let open = format!("<ul id=\"{id}\">");
    let rest = &dom[dom.find(&open)? + open.len()..];
    rest.split("</ul>").next()
}

#[test]
fn chromium_on_the_demo_page_sees_the_chat_echo_and_sse_readings() {
    if !chromium_available() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let stats = SharedStats::new();
    let app = viper_examples::demo::app(stats.clone());
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(viper_tokio::serve(
        listener,
        app,
        ServerConfig::default(),
        stats.clone(),
        async {
            let _ = stop_rx.await;
        },
    ));

    let (dom, err) = dump_dom(&format!("http://{addr}/"), Duration::from_secs(60));
    let ctx = format!("DOM:\n{dom}\nchromium stderr:\n{err}");

    // The demo page itself, not some other page.
    assert!(dom.contains("<h1>Viper demo</h1>"), "{ctx}");

    // SSE: the counter and the listed readings (the page keeps the newest ten,
    // newest first), which must be the stream's first readings in order.
    let count: u32 = text_of(&dom, "span", "sse-count")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    assert!(
        count >= 3,
        "SSE readings counted by the page: {count}\n{ctx}"
    );
    let readings = list_of(&dom, "sse").unwrap_or_default();
    let seqs: Vec<u64> = readings
        .split("<li>")
        .skip(1)
        .filter_map(|li| {
            let li = li.split("</li>").next()?.replace("&quot;", "\"");
            let v: serde_json::Value = serde_json::from_str(&li).ok()?;
            assert!(v["celsius"].is_f64(), "reading without celsius: {li}");
            v["seq"].as_u64()
        })
        .collect();
    assert!(seqs.len() >= 3, "readings listed: {seqs:?}\n{ctx}");
    let oldest = *seqs.last().unwrap_or(&u64::MAX);
    let expected: Vec<u64> = (oldest..oldest + seqs.len() as u64).rev().collect();
    assert_eq!(seqs, expected, "readings not consecutive\n{ctx}");
    if count as usize <= 10 {
        assert_eq!(oldest, 0, "first reading missing\n{ctx}");
    }

    // WebSocket: the page sent its hello on open, and the server's broadcast of it
    // ("<client id>: hello from the page") came back and is shown.
    let echo = text_of(&dom, "span", "ws-echo").unwrap_or_default();
    let (who, what) = echo.split_once(": ").unwrap_or_default();
    assert_eq!(what, "hello from the page", "{ctx}");
    assert!(who.parse::<u64>().is_ok(), "echo sender {who:?}\n{ctx}");
    let chat = list_of(&dom, "ws").unwrap_or_default();
    assert!(
        chat.contains(&format!("<li>{echo}</li>")),
        "echo not in the chat list\n{ctx}"
    );
    assert!(
        chat.contains(&format!("<li>* client {who} joined</li>")),
        "join line not in the chat list\n{ctx}"
    );

    // The server saw it all and shuts down cleanly once chromium is gone.
    let s = stats.snapshot();
    assert!(s.connections_accepted >= 1, "{}", stats.to_json());
    let _ = stop.send(());
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(15), server)
            .await
            .expect("serve returned after shutdown")
            .expect("serve task")
            .expect("serve result");
    });
}
